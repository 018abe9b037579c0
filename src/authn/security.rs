//! The person's own second factors, changed from the security settings: the rule
//! that changes need the second factor in this session ([`needs_step_up`]).

use super::Acr;

/// Changes need the second factor in this session (`level`) when the person has
/// one.
pub fn needs_step_up(has_second_factor: bool, level: Acr) -> bool {
    has_second_factor && level < Acr::Mfa
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_need_the_second_factor_only_of_a_person_with_one() {
        assert!(needs_step_up(true, Acr::Pwd));
        assert!(!needs_step_up(true, Acr::Mfa));
        assert!(!needs_step_up(false, Acr::Pwd));
    }
}
