use orbital::prelude::*;

#[derive(Debug)]
enum FetchError {
    NotFound,
}

#[electron]
fn fetch(id: u32) -> Result<String, FetchError> {
    if id == 0 { Err(FetchError::NotFound) } else { Ok(id.to_string()) }
}

fn main() {}
