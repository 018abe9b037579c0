//! Delegated administration: Diskominfo super-admins (`is_admin`) manage everything;
//! OPD administrators (role `opd-admin` of the built-in application `gapura`) manage
//! accounts and assignments only inside their own unit or sub-tree. Every check
//! happens here, on the server, for every call.

use super::roles::{self, NIK_READER, OPD_ADMIN, ScopeKind};
use crate::clients::GAPURA_APP;
use crate::directory::{DirectoryError, people};
use crate::users::User;
use entity::{opd, role_assignment};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};

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

    async fn of<C: ConnectionTrait>(
        db: &C,
        rows: &[role_assignment::Model],
        role: &str,
    ) -> Result<Self, DirectoryError> {
        let mut reach = Reach::default();
        let mine: Vec<&role_assignment::Model> = rows.iter().filter(|a| a.role == role).collect();
        let codes: Vec<String> = mine.iter().filter_map(|a| a.opd_code.clone()).collect();
        let units = if codes.is_empty() {
            Vec::new()
        } else {
            opd::Entity::find()
                .filter(opd::Column::Code.is_in(codes))
                .all(db)
                .await?
        };
        for a in mine {
            match (ScopeKind::parse(&a.scope_kind), &a.opd_code) {
                (Some(ScopeKind::City), _) => reach.city = true,
                (Some(ScopeKind::Subtree), Some(code)) => {
                    if let Some(u) = units.iter().find(|u| u.code == *code) {
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

/// Who is calling the admin API and what they may touch.
#[derive(Debug, Clone)]
pub struct AdminContext {
    pub user: User,
    pub super_admin: bool,
    /// Where the person may administer (everything for a super-admin).
    pub manage: Reach,
    /// Where the person may see NIK unmasked (`nik-reader`; explicit even for super-admins).
    pub nik: Reach,
}

impl AdminContext {
    /// `None` when the account administers nothing.
    pub async fn load<C: ConnectionTrait>(
        db: &C,
        user: User,
        now: i64,
    ) -> Result<Option<Self>, DirectoryError> {
        let rows = roles::of_user(db, &user.id, Some(GAPURA_APP), now, false).await?;
        let mut manage = Reach::of(db, &rows, OPD_ADMIN).await?;
        let nik = Reach::of(db, &rows, NIK_READER).await?;
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

    /// Whether this admin manages `person` (accounts outside any OPD: super-admins only).
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

    /// Whether an assignment with this scope is within this admin's reach. Only
    /// super-admins hand out roles of `gapura` itself or city-wide roles.
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
        Ok(match (scope, unit) {
            (ScopeKind::City, _) => self.manage.city,
            (ScopeKind::Opd, Some(u)) => self.manage.covers(&u),
            (ScopeKind::Subtree, Some(u)) => self.manage.covers_subtree(&u),
            (_, None) => false,
        })
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
            && match (ScopeKind::parse(&a.scope_kind), scope_unit) {
                (Some(ScopeKind::City), _) => self.manage.city,
                (Some(ScopeKind::Opd), Some(u)) => self.manage.covers(u),
                (Some(ScopeKind::Subtree), Some(u)) => self.manage.covers_subtree(u),
                _ => false,
            };
        manages && reach
    }
}
