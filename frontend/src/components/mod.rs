//! Pieces shared by every screen.

pub mod header;
pub mod link_banner;

pub use header::Header;
pub use link_banner::LinkBanner;
