//! Times as the screens show them, in the browser's time zone.

use wasm_bindgen::JsValue;

fn date(ms: u64) -> js_sys::Date {
    js_sys::Date::new(&JsValue::from_f64(ms as f64))
}

/// `YYYY-MM-DD hh:mm:ss` of seconds since the Unix epoch.
pub fn date_time(secs: u64) -> String {
    let d = date(secs * 1000);
    format!(
        "{}-{:02}-{:02} {:02}:{:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes(),
        d.get_seconds()
    )
}

/// `hh:mm:ss.mmm` of milliseconds since the Unix epoch.
pub fn time_ms(ms: u64) -> String {
    let d = date(ms);
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        d.get_hours(),
        d.get_minutes(),
        d.get_seconds(),
        d.get_milliseconds()
    )
}
