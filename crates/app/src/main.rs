//! The page's entry point: mounts the Yew app on `<main id="app">`.

fn main() {
    connscope_app::ui::start();
}
