//! The sandbox ISP's accounts: who may log in to POP3 and SMTP AUTH, and which addresses have a
//! mailbox. The training passwords are public on purpose (README); this is a simulator.

/// The simulated ISP's domain.
pub const DOMAIN: &str = shared::settings::SANDBOX_DOMAIN;

/// One mailbox owner.
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    /// The local part, also the POP3/SMTP user name (`karacrix`).
    pub user: String,
    /// The training password.
    pub password: String,
}

impl std::fmt::Debug for Account {
    // Public training passwords still stay out of logs: the habit is the point.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("user", &self.user)
            .field("password", &shared::secret::Masked(&self.password))
            .finish()
    }
}

impl Account {
    /// The full address and mailbox name, `user@sandbox.test`.
    pub fn address(&self) -> String {
        format!("{}@{DOMAIN}", self.user)
    }
}

/// The accounts of the sandbox.
#[derive(Debug, Clone)]
pub struct Accounts {
    accounts: Vec<Account>,
}

impl Accounts {
    /// The two training accounts: the system's and the operator's phone.
    pub fn training() -> Self {
        Accounts {
            accounts: vec![
                Account {
                    user: "karacrix".into(),
                    password: "karacrix-pass".into(),
                },
                Account {
                    user: "operator".into(),
                    password: "operator-pass".into(),
                },
            ],
        }
    }

    /// All accounts.
    pub fn all(&self) -> &[Account] {
        &self.accounts
    }

    /// The account of a login name, given as `karacrix` or `karacrix@sandbox.test` (any case).
    pub fn by_user(&self, user: &str) -> Option<&Account> {
        let local = match user.rsplit_once('@') {
            Some((local, domain)) if domain.eq_ignore_ascii_case(DOMAIN) => local,
            Some(_) => return None,
            None => user,
        };
        self.accounts
            .iter()
            .find(|a| a.user.eq_ignore_ascii_case(local))
    }

    /// The account if `password` is right.
    pub fn check_password(&self, user: &str, password: &str) -> Option<&Account> {
        self.by_user(user).filter(|a| a.password == password)
    }

    /// The account that receives mail for `address` (`<…>` already removed), if it is local.
    pub fn by_address(&self, address: &str) -> Option<&Account> {
        let (_, domain) = address.rsplit_once('@')?;
        if !is_local_domain(domain) {
            return None;
        }
        self.by_user(address)
    }
}

/// True for the sandbox's own domain: the only one it accepts mail for.
pub fn is_local_domain(domain: &str) -> bool {
    domain.eq_ignore_ascii_case(DOMAIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_log_in_by_name_or_address() {
        let accounts = Accounts::training();
        assert_eq!(
            accounts.by_user("karacrix").unwrap().address(),
            "karacrix@sandbox.test"
        );
        assert!(accounts.by_user("KARACRIX@Sandbox.Test").is_some());
        assert!(accounts.by_user("karacrix@elsewhere.test").is_none());
        assert!(
            accounts
                .check_password("operator", "operator-pass")
                .is_some()
        );
        assert!(
            accounts
                .check_password("operator", "Operator-pass")
                .is_none()
        );
        assert!(accounts.by_user("nobody").is_none());
    }

    #[test]
    fn only_local_addresses_have_mailboxes() {
        let accounts = Accounts::training();
        assert!(accounts.by_address("operator@sandbox.test").is_some());
        assert!(accounts.by_address("operator@example.com").is_none());
        assert!(accounts.by_address("operator").is_none());
        assert!(accounts.by_address("ghost@sandbox.test").is_none());
    }

    #[test]
    fn debug_output_masks_the_password() {
        let account = Accounts::training().by_user("karacrix").cloned().unwrap();
        let shown = format!("{account:?}");
        assert!(!shown.contains("karacrix-pass"), "{shown}");
        assert!(shown.contains("karacrix"), "{shown}");
    }
}
