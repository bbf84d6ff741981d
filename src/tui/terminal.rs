//! Terminal hygiene: raw mode and the alternate screen are always undone — on quit, on
//! error, on panic and on SIGTERM/SIGHUP — and a panic prints a short report that names
//! the log file instead of a backtrace over a broken screen.

use std::io::{self, Stdout, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use crossterm::{cursor, execute};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

pub type Tui = Terminal<CrosstermBackend<Stdout>>;

/// Whether the screen is currently taken over, so restoring twice is harmless.
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Raw mode, alternate screen, mouse and bracketed paste.
pub fn enter() -> io::Result<Tui> {
    terminal::enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let mut stdout = io::stdout();
    if let Err(err) = execute!(
        stdout,
        EnterAlternateScreen,
        EnableMouseCapture,
        EnableBracketedPaste,
        cursor::Hide
    ) {
        restore();
        return Err(err);
    }
    Terminal::new(CrosstermBackend::new(stdout))
}

/// Puts the terminal back as the shell left it. Safe to call any number of times.
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let mut stdout = io::stdout();
        let _ = execute!(
            stdout,
            DisableBracketedPaste,
            DisableMouseCapture,
            LeaveAlternateScreen,
            cursor::Show
        );
        let _ = terminal::disable_raw_mode();
        let _ = stdout.flush();
    }
}

/// Leaves the screen for an external program (`$EDITOR`); `resume` takes it back.
pub fn suspend() {
    restore();
}

pub fn resume(tui: &mut Tui) -> io::Result<()> {
    terminal::enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableMouseCapture,
        EnableBracketedPaste,
        cursor::Hide,
        terminal::Clear(terminal::ClearType::All)
    )?;
    // A new Terminal has empty buffers, so the next draw repaints everything. (`clear()`
    // would ask the terminal for the cursor position, an answer that nobody reads while
    // the key reader is being replaced.)
    *tui = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    Ok(())
}

/// Restores the terminal before the default panic output, then says where to look.
/// The report goes to a file in the state dir, with secrets masked.
pub fn install_panic_hook(log_path: Option<PathBuf>) {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        let message = crate::redact::redact(&info.to_string()).text;
        let report = crate::paths::state_dir().join(format!(
            "crash-{}.txt",
            chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
        ));
        let backtrace = std::backtrace::Backtrace::force_capture();
        let body = format!(
            "sheriff {} crashed\n{message}\n\n{}",
            env!("CARGO_PKG_VERSION"),
            crate::redact::redact(&backtrace.to_string()).text
        );
        let saved = crate::paths::create_private_dir(&crate::paths::state_dir())
            .and_then(|()| crate::paths::write_private(&report, body.as_bytes()));
        eprintln!("sheriff crashed: {message}");
        match saved {
            Ok(()) => eprintln!("A report is in {}", report.display()),
            Err(_) => default(info),
        }
        if let Some(log) = &log_path {
            eprintln!("The log is {}", log.display());
        }
        eprintln!("Please file it with what you were doing; your terminal has been restored.");
    }));
}
