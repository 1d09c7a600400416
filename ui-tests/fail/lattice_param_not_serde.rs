use orbital::prelude::*;

#[derive(serde::Serialize)]
struct Settings {
    scale: f64,
}

#[electron]
fn scale(x: f64, by: f64) -> f64 {
    x * by
}

#[lattice]
fn workflow(xs: Vec<f64>, settings: Vec<Settings>) -> Vec<f64> {
    let by = settings.first().map_or(1.0, |s| s.scale);
    let scaled: Vec<_> = xs.into_iter().map(|x| scale(x, by)).collect();
    scaled
}

fn main() {}
