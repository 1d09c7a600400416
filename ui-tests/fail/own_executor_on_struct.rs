#[orbital::executor(name = "mine")]
struct Mine;

fn main() {}
