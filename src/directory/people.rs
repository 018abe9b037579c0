//! ASN people in the directory: views (public, admin with NIK masked unless
//! permitted), and search by NIP, name or e-mail prefix with keyset pagination.
//! Every search is a range on one btree index (`username`, `name_search`, `email`),
//! so it stays fast at 100,000 accounts on SQLite and PostgreSQL.

use super::{DirectoryError, invalid, prefix_upper};
use crate::domain::asn::Kedudukan;
use crate::users::{User, display_name};
use base64::Engine;
use entity::{opd, user_account};
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;

pub const MAX_LIMIT: u64 = 200;

#[derive(Debug, Clone, Serialize)]
pub struct OpdRef {
    pub code: String,
    pub name: String,
    pub path: String,
}

impl OpdRef {
    pub fn of(u: &opd::Model) -> Self {
        OpdRef {
            code: u.code.clone(),
            name: u.name.clone(),
            path: u.path.clone(),
        }
    }
}

/// What any application with `directory.read` may see of a person.
#[derive(Debug, Clone, Serialize)]
pub struct PublicPerson {
    pub nip: Option<String>,
    pub name: String,
    pub email: Option<String>,
    pub opd: Option<OpdRef>,
    pub unit_kerja: Option<String>,
    pub jabatan: Option<String>,
    pub jenis_jabatan: Option<String>,
    pub eselon: Option<String>,
    pub golongan: Option<String>,
    pub jenis_pegawai: Option<String>,
    pub active: bool,
}

pub fn public(u: &User, unit: Option<&opd::Model>) -> PublicPerson {
    PublicPerson {
        nip: u.nip.clone(),
        name: display_name(u),
        email: u.email.clone(),
        opd: unit.map(OpdRef::of),
        unit_kerja: u.unit_kerja.clone(),
        jabatan: u.jabatan.clone(),
        jenis_jabatan: u.jenis_jabatan.clone(),
        eselon: u.eselon.clone(),
        golongan: u.golongan.clone(),
        jenis_pegawai: u.jenis_pegawai.clone(),
        active: crate::users::is_active(u),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct KedudukanView {
    pub code: String,
    pub name: Option<&'static str>,
}

/// What an administrator sees. `nik` is masked unless `reveal_nik`.
#[derive(Debug, Clone, Serialize)]
pub struct AdminPerson {
    pub id: String,
    pub username: String,
    pub nip: Option<String>,
    pub nik: Option<String>,
    pub name: String,
    pub display_name: String,
    pub gelar_depan: Option<String>,
    pub gelar_belakang: Option<String>,
    pub birth_date: Option<String>,
    pub sex: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub jenis_pegawai: Option<String>,
    pub kedudukan: Option<KedudukanView>,
    pub opd_code: Option<String>,
    pub unit_kerja: Option<String>,
    pub jenis_jabatan: Option<String>,
    pub jabatan: Option<String>,
    pub eselon: Option<String>,
    pub golongan: Option<String>,
    pub review: Vec<String>,
    pub status: String,
    pub suspended_at: Option<i64>,
    pub suspended_reason: Option<String>,
    pub is_admin: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

pub fn admin_view(u: &User, reveal_nik: bool) -> AdminPerson {
    AdminPerson {
        id: u.id.clone(),
        username: u.username.clone(),
        nip: u.nip.clone(),
        nik: u.nik.as_deref().map(|n| {
            if reveal_nik {
                n.to_owned()
            } else {
                crate::domain::nik::mask(n)
            }
        }),
        name: u.name.clone(),
        display_name: display_name(u),
        gelar_depan: u.gelar_depan.clone(),
        gelar_belakang: u.gelar_belakang.clone(),
        birth_date: u.birth_date.clone(),
        sex: u.sex.clone(),
        email: u.email.clone(),
        phone: u.phone.clone(),
        jenis_pegawai: u.jenis_pegawai.clone(),
        kedudukan: u.kedudukan.as_ref().map(|c| KedudukanView {
            code: c.clone(),
            name: Kedudukan::parse(c).map(Kedudukan::name),
        }),
        opd_code: u.opd_code.clone(),
        unit_kerja: u.unit_kerja.clone(),
        jenis_jabatan: u.jenis_jabatan.clone(),
        jabatan: u.jabatan.clone(),
        eselon: u.eselon.clone(),
        golongan: u.golongan.clone(),
        review: u
            .review
            .as_deref()
            .map(|r| r.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default(),
        status: u.status.to_string(),
        suspended_at: u.suspended_at,
        suspended_reason: u.suspended_reason.clone(),
        is_admin: u.is_admin,
        created_at: u.created_at,
        updated_at: u.updated_at,
    }
}

/// Accounts whose unit lies under one of `paths` (each `/…/CODE/`, sub-tree) or is
/// one of `units` (single unit): one sub-query on the path index, no recursion.
pub fn in_units(paths: &[String], units: &[String]) -> Condition {
    let mut any = Condition::any();
    for p in paths {
        any = any.add(
            Condition::all()
                .add(opd::Column::Path.gte(p.clone()))
                .add(opd::Column::Path.lt(prefix_upper(p))),
        );
    }
    if !units.is_empty() {
        any = any.add(opd::Column::Code.is_in(units.to_vec()));
    }
    let sub = Query::select()
        .column(opd::Column::Code)
        .from(opd::Entity)
        .cond_where(any)
        .to_owned();
    Condition::all().add(user_account::Column::OpdCode.in_subquery(sub))
}

#[derive(Debug, Clone, Default)]
pub struct Search {
    /// NIP digits, an e-mail (has `@` or `.`), or a name: a prefix.
    pub q: Option<String>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum By {
    Username,
    Name,
    Email,
}

fn encode_cursor(key: &str, username: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{key}\u{1f}{username}"))
}

fn decode_cursor(c: &str) -> Result<(String, String), DirectoryError> {
    let bad = || invalid("cursor is not one this server issued");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .map_err(|_| bad())?;
    let s = String::from_utf8(raw).map_err(|_| bad())?;
    let (k, u) = s.split_once('\u{1f}').ok_or_else(bad)?;
    Ok((k.to_owned(), u.to_owned()))
}

/// One page of accounts matching `search` within `restrict`; the next cursor if more.
pub async fn search<C: ConnectionTrait>(
    db: &C,
    restrict: Condition,
    s: &Search,
) -> Result<(Vec<User>, Option<String>), DirectoryError> {
    let limit = s.limit.unwrap_or(50).clamp(1, MAX_LIMIT);
    let q = s.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if q.is_some_and(|q| q.len() > 100) {
        return Err(invalid("search text is too long"));
    }
    let (by, prefix) = match q {
        None => (By::Username, None),
        Some(q) if q.bytes().all(|b| b.is_ascii_digit()) => (By::Username, Some(q.to_owned())),
        Some(q) if q.contains('@') || q.contains('.') => (By::Email, Some(q.to_lowercase())),
        Some(q) => (By::Name, Some(crate::users::search_key(q))),
    };
    let col = match by {
        By::Username => user_account::Column::Username,
        By::Name => user_account::Column::NameSearch,
        By::Email => user_account::Column::Email,
    };
    let mut query = user_account::Entity::find().filter(restrict);
    if let Some(p) = &prefix {
        query = query
            .filter(col.gte(p.clone()))
            .filter(col.lt(prefix_upper(p)));
    }
    if let Some(c) = &s.cursor {
        let (key, user) = decode_cursor(c)?;
        query = query.filter(if by == By::Username {
            Condition::all().add(user_account::Column::Username.gt(user))
        } else {
            Condition::any().add(col.gt(key.clone())).add(
                Condition::all()
                    .add(col.eq(key))
                    .add(user_account::Column::Username.gt(user)),
            )
        });
    }
    if by != By::Username {
        query = query.order_by_asc(col);
    }
    let mut rows = query
        .order_by_asc(user_account::Column::Username)
        .limit(limit + 1)
        .all(db)
        .await?;
    let next = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|u| {
            let key = match by {
                By::Username => u.username.clone(),
                By::Name => u.name_search.clone().unwrap_or_default(),
                By::Email => u.email.clone().unwrap_or_default(),
            };
            encode_cursor(&key, &u.username)
        })
    } else {
        None
    };
    Ok((rows, next))
}

pub async fn by_nip<C: ConnectionTrait>(db: &C, nip: &str) -> Result<Option<User>, DirectoryError> {
    if nip.is_empty() || nip.len() > 32 {
        return Ok(None);
    }
    Ok(user_account::Entity::find()
        .filter(user_account::Column::Nip.eq(nip))
        .one(db)
        .await?)
}
