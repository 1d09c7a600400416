#[derive(orbital::Nodes)]
struct Stats {
    total: f64,
    count: usize,
}

fn main() {}
