//! The screens, one file each, opened from the main menu.

pub mod console;
pub mod help;
pub mod instructor;
pub mod join;
pub mod log;
pub mod main_menu;
pub mod phone;
pub mod points;
pub mod sandbox;
pub mod settings;
pub mod system_menu;

pub use console::ConsolePage;
pub use help::HelpPage;
pub use instructor::InstructorPage;
pub use join::JoinPage;
pub use log::LogPage;
pub use main_menu::MainMenu;
pub use phone::PhonePage;
pub use points::PointsPage;
pub use sandbox::SandboxPage;
pub use settings::SettingsPage;
pub use system_menu::SystemMenu;
