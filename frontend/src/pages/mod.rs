//! The screens. Each later screen (e-mail settings, console, points, phone, log, ISP) plugs into
//! the main menu.

pub mod main_menu;

pub use main_menu::MainMenu;
