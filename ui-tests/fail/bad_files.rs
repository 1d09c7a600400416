use orbital::prelude::*;

#[electron(files = [from("ftp://host/in.csv", "in.csv")])]
fn unknown_scheme() -> u32 {
    1
}

#[electron(files = [to("out.csv")])]
fn one_path() -> u32 {
    1
}

#[electron(files = [from("/data/{run}/in.csv", "in.csv")])]
fn unknown_placeholder() -> u32 {
    1
}

#[electron(files = [from("in.csv", "s3://bucket/in.csv")])]
fn swapped() -> u32 {
    1
}

#[electron(files = [from("rsync://host-without-path", "in.csv")])]
fn no_path() -> u32 {
    1
}

#[electron(files = ["in.csv"])]
fn not_a_transfer() -> u32 {
    1
}

fn main() {}
