//! Pieces shared by every screen.

pub mod choice_select;
pub mod clock;
pub mod connection_test;
pub mod field_row;
pub mod header;
pub mod help_link;
pub mod link_banner;
pub mod mail_lang;
pub mod read_only_banner;
pub mod screen_bar;
pub mod status_frame;
pub mod time_scale;
pub mod training;
pub mod value_row;
pub mod window;

pub use choice_select::ChoiceSelect;
pub use connection_test::ConnectionTest;
pub use field_row::{FieldErrors, FieldHelp, FieldRow, Kind, OursTag};
pub use header::{Brand, Header, LangSwitch};
pub use help_link::HelpLink;
pub use link_banner::LinkBanner;
pub use mail_lang::MailLangRow;
pub use read_only_banner::ReadOnlyBanner;
pub use screen_bar::{Back, ScreenBar};
pub use status_frame::StatusFrame;
pub use time_scale::TimeScaleControl;
pub use training::TrainingPanel;
pub use value_row::value_row;
pub use window::{FrameHint, Window};
