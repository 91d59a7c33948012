//! Same public API as `solana-msg` 2.2.1 (`msg!`, `sol_log`).
//!
//! On chain `sol_log` is the `sol_log_` syscall. Off chain the published crate prints to stdout, so a
//! natively executed program's `msg!` lines (and Anchor's error logs) never reach the transaction log.
//! Here a host runtime can install a hook that appends them to the log of the running transaction.

#[macro_export]
macro_rules! msg {
    ($msg:expr) => {
        $crate::sol_log($msg)
    };
    ($($arg:tt)*) => ($crate::sol_log(&format!($($arg)*)));
}

#[cfg(target_os = "solana")]
pub mod syscalls {
    pub use solana_define_syscall::definitions::{sol_log_, sol_log_64_, sol_log_compute_units_, sol_log_data};
}

#[cfg(not(target_os = "solana"))]
static LOG_HOOK: std::sync::OnceLock<fn(&str)> = std::sync::OnceLock::new();

/// Routes off-chain `sol_log` calls to `hook` for the rest of the process. Only the first call wins.
#[cfg(not(target_os = "solana"))]
pub fn set_log_hook(hook: fn(&str)) -> bool {
    LOG_HOOK.set(hook).is_ok()
}

#[inline]
pub fn sol_log(message: &str) {
    #[cfg(target_os = "solana")]
    unsafe {
        syscalls::sol_log_(message.as_ptr(), message.len() as u64);
    }

    #[cfg(not(target_os = "solana"))]
    match LOG_HOOK.get() {
        Some(hook) => hook(message),
        None => println!("{message}"),
    }
}
