//! Editing a form field in `$VISUAL`/`$EDITOR`, in three stages so that nothing blocks
//! the event loop and worker events keep being taken while the editor owns the terminal:
//! the temp file is written on a blocking thread, the editor runs as a child the loop
//! awaits beside everything else, and the file is read back on a blocking thread.

use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

use super::input::EditTarget;

/// One edit in progress.
pub struct Editor {
    pub field: EditTarget,
    command: String,
    stage: Stage,
}

enum Stage {
    Writing(JoinHandle<std::io::Result<tempfile::NamedTempFile>>),
    Running {
        child: Box<Child>,
        file: tempfile::NamedTempFile,
    },
    Reading(JoinHandle<Result<String, String>>),
    /// Between two stages, for a moment.
    Moving,
}

/// What the current stage ended with; the runner moves the edit on.
pub enum Step {
    /// The temp file is ready: suspend the screen and call [`Editor::launch`].
    Written(Result<tempfile::NamedTempFile, String>),
    /// The editor exited: resume the screen; the text is being read back.
    Exited,
    /// The edit is over: the new text, or why there is none.
    Done(Result<String, String>),
}

impl Editor {
    /// Starts writing `text` to a private temp file.
    pub fn start(text: String, field: EditTarget) -> Editor {
        let command = ["VISUAL", "EDITOR"]
            .iter()
            .filter_map(|v| std::env::var(v).ok())
            .find(|e| !e.trim().is_empty())
            .unwrap_or_else(|| "vi".into());
        let writing = tokio::task::spawn_blocking(move || {
            let file = tempfile::Builder::new()
                .prefix("sheriff-")
                .suffix(".md")
                .tempfile()?;
            std::fs::write(file.path(), text)?;
            Ok(file)
        });
        Editor {
            field,
            command,
            stage: Stage::Writing(writing),
        }
    }

    /// Whether the editor has the terminal now (the screen must not be drawn).
    pub fn owns_terminal(&self) -> bool {
        matches!(self.stage, Stage::Running { .. })
    }

    /// Runs the editor on the written file; call with the screen suspended.
    pub fn launch(&mut self, file: tempfile::NamedTempFile) -> Result<(), String> {
        // `$EDITOR` may carry arguments ("code --wait"), so the shell splits it.
        let child = Command::new("sh")
            .arg("-c")
            .arg(format!("{} \"$1\"", self.command))
            .arg("sh")
            .arg(file.path())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", self.command))?;
        self.stage = Stage::Running {
            child: Box::new(child),
            file,
        };
        Ok(())
    }

    /// Waits for the current stage to end.
    pub async fn next(&mut self) -> Step {
        match &mut self.stage {
            Stage::Writing(task) => Step::Written(match task.await {
                Ok(Ok(file)) => Ok(file),
                Ok(Err(e)) => Err(format!("cannot write the text for the editor: {e}")),
                Err(e) => Err(format!("cannot write the text for the editor: {e}")),
            }),
            Stage::Running { child, .. } => {
                let status = child.wait().await;
                if let Stage::Running { file, .. } =
                    std::mem::replace(&mut self.stage, Stage::Moving)
                {
                    let command = self.command.clone();
                    self.stage =
                        Stage::Reading(tokio::task::spawn_blocking(move || match status {
                            Ok(s) if s.success() => {
                                std::fs::read_to_string(file.path()).map_err(|e| e.to_string())
                            }
                            Ok(s) => {
                                Err(format!("{command} exited with {s}; the text is unchanged"))
                            }
                            Err(e) => Err(format!("cannot run {command}: {e}")),
                        }));
                }
                Step::Exited
            }
            Stage::Reading(task) => Step::Done(match task.await {
                Ok(result) => result,
                Err(e) => Err(format!("cannot read the edited text: {e}")),
            }),
            Stage::Moving => std::future::pending().await,
        }
    }
}

/// Waits for the edit in progress, if any; forever if none (for `select!`).
pub async fn next_step(editor: &mut Option<Editor>) -> Step {
    match editor {
        Some(editor) => editor.next().await,
        None => std::future::pending().await,
    }
}
