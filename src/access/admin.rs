//! Delegated administration: Diskominfo super-admins (`is_admin`) manage everything;
//! OPD administrators (role `opd-admin` of the built-in application `gapura`) manage
//! accounts and assignments only inside their own unit or sub-tree. Every check
//! happens here, on the server, for every call.
//!
//! # The rule for acting on an account
//!
//! Every admin operation on a person goes through [`AdminContext::check_target`]
//! with what it is about to do ([`Act`]):
//!
//! 1. **Reach.** The person's unit must be in the administrator's reach; otherwise
//!    the answer is "not found", exactly like for an account that does not exist.
//!    Reading ([`Act::View`]) needs nothing more: an OPD administrator sees every
//!    account of their units, administrators included.
//! 2. **Nobody acts on an account whose powers exceed their own.** Changing,
//!    suspending, reactivating, granting to or ending a role of a person is refused
//!    (403) unless every power that person holds is also the administrator's:
//!    - a super-admin (`is_admin`) can be acted on only by a super-admin;
//!    - each role of `gapura` the person holds (`opd-admin`, `nik-reader`, any
//!      future one) must be held by the administrator too, over a reach that
//!      contains the person's (an OPD administrator of `PKM-01` cannot touch an
//!      `opd-admin` of `DINKES`, nor a `nik-reader` when they read no NIK);
//!    - each role of another application must lie inside the administrator's
//!      administering reach (where they could have granted it themselves).
//!
//!    Assignments count until they end or expire, including those whose validity
//!    has not begun yet (taking over the account now would win them later).
//!    Changing the e-mail, a login name, of a more powerful account would be a
//!    take-over of its powers: that is why editing falls under this rule too.
//! 3. **Granting** ([`AdminContext::may_assign`]): nobody grants a power beyond their
//!    own. Only super-admins hand out roles of `gapura` itself and city-wide roles;
//!    an OPD administrator grants roles of other applications over units inside
//!    their reach. No API makes a super-admin (only the operator's CLI does).
//! 4. **Oneself.** An administrator may read and edit their own record and give
//!    themselves roles within their reach (the same they could give anyone), but
//!    may not suspend their own account nor end their own last `opd-admin`
//!    assignment (409, with a message saying another administrator must do it):
//!    both would lock them out with nobody having decided it.
//!
//! The command line (`gapura user …`, `gapura role …`, `gapura import …`) runs as
//! the operator of the server, who has every power: it makes no such check.

use super::roles::{self, NIK_READER, OPD_ADMIN, ScopeKind};
use crate::clients::GAPURA_APP;
use crate::directory::{DirectoryError, people};
use crate::users::User;
use entity::{opd, role_assignment};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::{BTreeMap, HashMap};

/// A set of units: the whole city, sub-trees (by path) and single units.
#[derive(Debug, Clone, Default)]
pub struct Reach {
    pub city: bool,
    pub subtrees: Vec<String>,
    pub units: Vec<String>,
}

impl Reach {
    pub fn covers(&self, unit: &opd::Model) -> bool {
        self.city
            || self
                .subtrees
                .iter()
                .any(|p| unit.path.starts_with(p.as_str()))
            || self.units.contains(&unit.code)
    }

    /// The unit and all of its sub-tree are covered.
    pub fn covers_subtree(&self, unit: &opd::Model) -> bool {
        self.city
            || self
                .subtrees
                .iter()
                .any(|p| unit.path.starts_with(p.as_str()))
    }

    pub fn is_empty(&self) -> bool {
        !self.city && self.subtrees.is_empty() && self.units.is_empty()
    }

    /// Whether everything an assignment of `scope` over `unit` reaches is inside this
    /// reach. Unknown scopes and missing units are never contained (fail closed).
    pub fn contains(&self, scope: Option<ScopeKind>, unit: Option<&opd::Model>) -> bool {
        match (scope, unit) {
            (Some(ScopeKind::City), _) => self.city,
            (Some(ScopeKind::Opd), Some(u)) => self.covers(u),
            (Some(ScopeKind::Subtree), Some(u)) => self.covers_subtree(u),
            _ => false,
        }
    }

    async fn of<C: ConnectionTrait>(
        db: &C,
        rows: &[role_assignment::Model],
        role: &str,
    ) -> Result<Self, DirectoryError> {
        let mut reach = Reach::default();
        let mine: Vec<&role_assignment::Model> = rows.iter().filter(|a| a.role == role).collect();
        let codes: Vec<String> = mine.iter().filter_map(|a| a.opd_code.clone()).collect();
        let units = units_by_code(db, codes).await?;
        for a in mine {
            match (ScopeKind::parse(&a.scope_kind), &a.opd_code) {
                (Some(ScopeKind::City), _) => reach.city = true,
                (Some(ScopeKind::Subtree), Some(code)) => {
                    if let Some(u) = units.get(code) {
                        reach.subtrees.push(u.path.clone());
                    }
                }
                (Some(ScopeKind::Opd), Some(code)) => reach.units.push(code.clone()),
                _ => {}
            }
        }
        Ok(reach)
    }
}

async fn units_by_code<C: ConnectionTrait>(
    db: &C,
    codes: Vec<String>,
) -> Result<HashMap<String, opd::Model>, DirectoryError> {
    if codes.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(opd::Entity::find()
        .filter(opd::Column::Code.is_in(codes))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.code.clone(), u))
        .collect())
}

/// What an administrator is about to do to an account: every admin operation on a
/// person names one and passes through [`AdminContext::check_target`].
#[derive(Debug, Clone, Copy)]
pub enum Act<'a> {
    /// Read the record or its assignments.
    View,
    /// Change contact data, e-mail (a login name), job or unit (mutasi).
    Edit,
    Suspend,
    Reactivate,
    /// Give the person a role (the role itself is checked by `may_assign`).
    Grant,
    /// End one of the person's assignments.
    End(&'a role_assignment::Model),
}

/// Who is calling the admin API and what they may touch.
#[derive(Debug, Clone)]
pub struct AdminContext {
    pub user: User,
    pub super_admin: bool,
    /// Where the person may administer (everything for a super-admin).
    pub manage: Reach,
    /// Where the person may see NIK unmasked (`nik-reader`; explicit even for super-admins).
    pub nik: Reach,
    /// Every role of `gapura` the person holds, with where (as granted: no super-admin
    /// widening), to compare with what a person acted on holds.
    held: BTreeMap<String, Reach>,
    /// When the powers were read; the request is judged at this instant.
    at: i64,
}

impl AdminContext {
    /// `None` when the account administers nothing.
    pub async fn load<C: ConnectionTrait>(
        db: &C,
        user: User,
        now: i64,
    ) -> Result<Option<Self>, DirectoryError> {
        let rows = roles::of_user(db, &user.id, Some(GAPURA_APP), now, false).await?;
        let mut held = BTreeMap::new();
        for a in &rows {
            if !held.contains_key(&a.role) {
                held.insert(a.role.clone(), Reach::of(db, &rows, &a.role).await?);
            }
        }
        let mut manage = held.get(OPD_ADMIN).cloned().unwrap_or_default();
        let nik = held.get(NIK_READER).cloned().unwrap_or_default();
        let super_admin = user.is_admin;
        if super_admin {
            manage.city = true;
        }
        if manage.is_empty() {
            return Ok(None);
        }
        Ok(Some(AdminContext {
            user,
            super_admin,
            manage,
            nik,
            held,
            at: now,
        }))
    }

    pub fn actor(&self) -> String {
        self.user.id.clone()
    }

    /// The accounts this admin may see, as a query condition.
    pub fn people_condition(&self) -> Condition {
        if self.manage.city {
            Condition::all()
        } else {
            people::in_units(&self.manage.subtrees, &self.manage.units)
        }
    }

    async fn unit_of<C: ConnectionTrait>(
        db: &C,
        person: &User,
    ) -> Result<Option<opd::Model>, DirectoryError> {
        match &person.opd_code {
            Some(code) => Ok(opd::Entity::find_by_id(code.clone()).one(db).await?),
            None => Ok(None),
        }
    }

    /// Whether `person` is in this admin's reach (accounts outside any OPD: super-admins
    /// only). Reach alone allows reading; acting needs [`Self::check_target`].
    pub async fn manages<C: ConnectionTrait>(
        &self,
        db: &C,
        person: &User,
    ) -> Result<bool, DirectoryError> {
        if self.manage.city {
            return Ok(true);
        }
        Ok(Self::unit_of(db, person)
            .await?
            .is_some_and(|u| self.manage.covers(&u)))
    }

    /// The one check of every admin operation on an account (see the module
    /// documentation): `NotFound` outside reach, `Forbidden` when the person's powers
    /// exceed this admin's, `Conflict` for what nobody may do to themselves.
    pub async fn check_target<C: ConnectionTrait>(
        &self,
        db: &C,
        target: &User,
        act: Act<'_>,
    ) -> Result<(), DirectoryError> {
        let name = target.nip.as_deref().unwrap_or(&target.username);
        if !self.manages(db, target).await? {
            return Err(DirectoryError::NotFound(format!("ASN `{name}` not found")));
        }
        let myself = target.id == self.user.id;
        match act {
            Act::View => return Ok(()),
            Act::Suspend if myself => {
                return Err(DirectoryError::Conflict(
                    "you cannot suspend your own account: another administrator must do it".into(),
                ));
            }
            Act::End(a) if myself && self.is_last_admin_role(db, a).await? => {
                return Err(DirectoryError::Conflict(
                    "you cannot end your own last opd-admin assignment: another administrator must do it"
                        .into(),
                ));
            }
            _ => {}
        }
        if self.super_admin || myself {
            return Ok(());
        }
        if target.is_admin {
            return Err(DirectoryError::Forbidden(format!(
                "`{name}` is a super-administrator: only a super-administrator may change this account"
            )));
        }
        let powers = role_assignment::Entity::find()
            .filter(role_assignment::Column::UserId.eq(target.id.as_str()))
            .filter(role_assignment::Column::EndedAt.is_null())
            .filter(
                Condition::any()
                    .add(role_assignment::Column::ValidUntil.is_null())
                    .add(role_assignment::Column::ValidUntil.gt(self.at)),
            )
            .all(db)
            .await?;
        let codes = powers.iter().filter_map(|a| a.opd_code.clone()).collect();
        let units = units_by_code(db, codes).await?;
        let beyond = powers.iter().any(|a| {
            let unit = a.opd_code.as_ref().and_then(|c| units.get(c));
            !self.holds(a, unit)
        });
        if beyond {
            return Err(DirectoryError::Forbidden(format!(
                "`{name}` holds roles reaching beyond yours: only an administrator whose powers cover them may change this account"
            )));
        }
        Ok(())
    }

    /// Whether this admin has the power `a` gives too: the same role of `gapura` over
    /// a reach containing it, or (other applications) the power to grant it.
    fn holds(&self, a: &role_assignment::Model, unit: Option<&opd::Model>) -> bool {
        let reach = if a.client_id == GAPURA_APP {
            match self.held.get(&a.role) {
                Some(r) => r,
                None => return false,
            }
        } else {
            &self.manage
        };
        reach.contains(ScopeKind::parse(&a.scope_kind), unit)
    }

    /// Ending `a` (one's own) would leave this admin administering nothing.
    async fn is_last_admin_role<C: ConnectionTrait>(
        &self,
        db: &C,
        a: &role_assignment::Model,
    ) -> Result<bool, DirectoryError> {
        if self.super_admin || a.client_id != GAPURA_APP || a.role != OPD_ADMIN {
            return Ok(false);
        }
        let others = roles::of_user(db, &self.user.id, Some(GAPURA_APP), self.at, false)
            .await?
            .into_iter()
            .filter(|o| o.role == OPD_ADMIN && o.id != a.id)
            .count();
        Ok(others == 0)
    }

    pub async fn may_reveal_nik<C: ConnectionTrait>(
        &self,
        db: &C,
        person: &User,
    ) -> Result<bool, DirectoryError> {
        if self.nik.city {
            return Ok(true);
        }
        Ok(Self::unit_of(db, person)
            .await?
            .is_some_and(|u| self.nik.covers(&u)))
    }

    /// Whether an assignment with this scope is within this admin's power to grant.
    /// Only super-admins hand out roles of `gapura` itself or city-wide roles.
    pub async fn may_assign<C: ConnectionTrait>(
        &self,
        db: &C,
        client_id: &str,
        scope: ScopeKind,
        opd_code: Option<&str>,
    ) -> Result<bool, DirectoryError> {
        if self.super_admin {
            return Ok(true);
        }
        if client_id == GAPURA_APP {
            return Ok(false);
        }
        let unit = match opd_code {
            Some(c) => opd::Entity::find_by_id(c.to_owned()).one(db).await?,
            None => None,
        };
        Ok(self.manage.contains(Some(scope), unit.as_ref()))
    }

    /// The same rule as `manages` + `may_assign`, on units already loaded (lists).
    pub fn sees(
        &self,
        a: &role_assignment::Model,
        person_unit: Option<&opd::Model>,
        scope_unit: Option<&opd::Model>,
    ) -> bool {
        if self.super_admin {
            return true;
        }
        let manages = self.manage.city || person_unit.is_some_and(|u| self.manage.covers(u));
        let reach = a.client_id != GAPURA_APP
            && self
                .manage
                .contains(ScopeKind::parse(&a.scope_kind), scope_unit);
        manages && reach
    }

    /// A unit this admin may change (rename, move, close, delete): inside a managed
    /// sub-tree and not one of the admin's own roots (those belong to whoever is above).
    pub fn may_change_unit(&self, unit: &opd::Model) -> bool {
        let own_root = self.manage.subtrees.contains(&unit.path);
        self.manage.city || (self.manage.covers_subtree(unit) && !own_root)
    }

    /// Whether this admin may put units under `parent` (create or move there).
    pub fn may_place_under(&self, parent: &opd::Model) -> bool {
        self.manage.covers_subtree(parent)
    }
}
