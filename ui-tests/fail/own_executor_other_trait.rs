#[derive(Debug)]
struct Mine;

#[orbital::executor(name = "mine")]
impl Clone for Mine {
    fn clone(&self) -> Self {
        Mine
    }
}

fn main() {}
