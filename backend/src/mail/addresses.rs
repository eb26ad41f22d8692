//! Where the sandbox's host names lead, as a plain value: the socket address behind each mail
//! service and the CA its certificates are signed by. Whoever runs a sandbox ISP hands this to
//! the clients that should reach it; the clients never see the ISP itself.

use std::net::SocketAddr;

use shared::sandbox::{Clients, MailService};

/// The listeners of a sandbox ISP, the CA (PEM) to trust for its host names, and the source
/// addresses by which the ISP knows this simulation's system and phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressMap {
    endpoints: Vec<(MailService, SocketAddr)>,
    ca_pem: String,
    clients: Clients,
}

impl AddressMap {
    /// A map of `endpoints` whose certificates `ca_pem` signs, for single-user mode's clients.
    pub fn new(endpoints: Vec<(MailService, SocketAddr)>, ca_pem: String) -> Self {
        AddressMap {
            endpoints,
            ca_pem,
            clients: Clients::SINGLE,
        }
    }

    /// The same map for a simulation whose clients connect from `clients`.
    pub fn for_clients(self, clients: Clients) -> Self {
        AddressMap { clients, ..self }
    }

    /// Where this simulation's system and phone connect from.
    pub fn clients(&self) -> Clients {
        self.clients
    }

    /// Where `service` listens, if it does.
    pub fn endpoint(&self, service: MailService) -> Option<SocketAddr> {
        self.endpoints
            .iter()
            .find(|(s, _)| *s == service)
            .map(|(_, addr)| *addr)
    }

    /// Every service and its address.
    pub fn endpoints(&self) -> &[(MailService, SocketAddr)] {
        &self.endpoints
    }

    /// The CA certificate (PEM) to trust for the sandbox's host names only.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }
}
