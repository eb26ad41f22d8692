//! Reads the exercise folder: every `*.toml` in it, in name order, checked against the plant.
//! A bad file stops the start with its name and line (see `shared::training::file`).

use std::path::{Path, PathBuf};

use shared::training::Exercise;
use shared::training::file::{self, ExerciseFileError};

/// Why the exercises could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The folder or a file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The folder or file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file is not a valid exercise.
    #[error("exercise file {path}, {source}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The line and the reason.
        source: ExerciseFileError,
    },
    /// Two files have the same id.
    #[error("exercise file {path}: id {id:?} is already used by another file")]
    Duplicate {
        /// The second file.
        path: PathBuf,
        /// The id.
        id: String,
    },
}

/// The exercises in `dir`, ordered by their `order`. `is_point` says whether a point exists.
pub fn load_dir(dir: &Path, is_point: &dyn Fn(&str) -> bool) -> Result<Vec<Exercise>, LoadError> {
    let read = |path: &Path, source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| read(dir, e))? {
        let path = entry.map_err(|e| read(dir, e))?.path();
        if path.extension().is_some_and(|e| e == "toml") {
            paths.push(path);
        }
    }
    paths.sort();
    let mut exercises: Vec<Exercise> = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).map_err(|e| read(&path, e))?;
        let exercise = file::parse(&text, is_point).map_err(|source| LoadError::Invalid {
            path: path.clone(),
            source,
        })?;
        if exercises.iter().any(|e| e.id == exercise.id) {
            return Err(LoadError::Duplicate {
                path,
                id: exercise.id,
            });
        }
        exercises.push(exercise);
    }
    exercises.sort_by_key(|e| e.order);
    Ok(exercises)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../exercises");

    #[test]
    fn the_shipped_folder_loads_against_the_default_plant() {
        // The default plant's points (the exercises name only these).
        let plant = [
            "PUMP1", "FAN1", "LIGHT1", "DOOR1", "TEMP1", "LEVEL1", "SETP1", "KWH1",
        ];
        let exercises = load_dir(Path::new(SHIPPED), &|id| plant.contains(&id)).unwrap();
        let orders: Vec<u32> = exercises.iter().map(|e| e.order).collect();
        assert_eq!(orders, (1..=9).collect::<Vec<_>>());
    }

    #[test]
    fn a_bad_file_is_named_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let good = std::fs::read_to_string(Path::new(SHIPPED).join("02-op25b.toml")).unwrap();
        std::fs::write(dir.path().join("a.toml"), &good).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not an exercise").unwrap();
        assert_eq!(load_dir(dir.path(), &|_| true).unwrap().len(), 1);
        std::fs::write(dir.path().join("b.toml"), &good).unwrap();
        let err = load_dir(dir.path(), &|_| true).unwrap_err().to_string();
        assert!(
            err.contains("b.toml") && err.contains("already used"),
            "{err}"
        );
        let bad = good.replacen("smtp_port = 587", "smtp_port = 25", 1);
        std::fs::write(dir.path().join("b.toml"), bad).unwrap();
        let err = load_dir(dir.path(), &|_| true).unwrap_err().to_string();
        assert!(err.contains("b.toml, line 7: notice"), "{err}");
    }
}
