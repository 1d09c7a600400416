//! The local-copy strategy: a file or a whole directory, on the task's host.

use std::path::Path;

/// Copies `src` to `dst` (a directory recursively), making `dst`'s parent.
///
/// # Errors
/// The cause, as the file system said it.
pub fn copy(src: &Path, dst: &Path) -> std::io::Result<()> {
    if let Some(parent) = dst.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let meta = std::fs::metadata(src)?;
    if meta.is_dir() {
        copy_dir(src, dst)
    } else {
        std::fs::copy(src, dst).map(|_| ())
    }
}

fn copy_dir(src: &Path, dst: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dst)?;
    for entry in std::fs::read_dir(src)? {
        let entry = entry?;
        let to = dst.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &to)?;
        } else {
            std::fs::copy(entry.path(), to)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn copies_files_and_directories() {
        let t = tempfile::tempdir().unwrap();
        let src = t.path().join("src");
        std::fs::create_dir_all(src.join("sub")).unwrap();
        std::fs::write(src.join("a"), "1").unwrap();
        std::fs::write(src.join("sub/b"), "2").unwrap();
        super::copy(&src, &t.path().join("x/dst")).unwrap();
        assert_eq!(
            std::fs::read_to_string(t.path().join("x/dst/sub/b")).unwrap(),
            "2"
        );
        super::copy(&src.join("a"), &t.path().join("y/a")).unwrap();
        assert_eq!(std::fs::read_to_string(t.path().join("y/a")).unwrap(), "1");
        assert!(super::copy(&t.path().join("none"), &t.path().join("z")).is_err());
    }
}
