pub mod create_margin_account;
pub mod deposit;
pub mod initialize_exchange;
pub mod withdraw;

// Each module exports its Accounts struct (needed by `#[program]`) and a `handler`; handlers are
// always called by path, so the clashing `handler` names are harmless.
#[allow(ambiguous_glob_reexports)]
pub use create_margin_account::*;
pub use deposit::*;
pub use initialize_exchange::*;
pub use withdraw::*;
