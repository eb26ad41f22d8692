//! Mounts the app; everything else is in the library so it can be unit-tested on native.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(frontend::App);
}
