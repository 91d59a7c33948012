pub mod common;
pub mod create_margin_account;
pub mod create_market;
pub mod deposit;
pub mod flag_account;
pub mod fund_insurance;
pub mod initialize_exchange;
pub mod liquidate;
pub mod pool_liquidity;
pub mod refresh_market;
pub mod resolve_bankruptcy;
pub mod set_market_oracle;
pub mod set_paused;
pub mod settle_claim;
pub mod settle_market;
pub mod trade;
pub mod transfer_admin;
pub mod unflag_account;
pub mod update_market;
pub mod withdraw;

// Each module exports its Accounts struct (needed by `#[program]`) and a `handler`; handlers are
// always called by path, so the clashing `handler` names are harmless.
#[allow(ambiguous_glob_reexports)]
pub use create_margin_account::*;
pub use create_market::*;
pub use deposit::*;
pub use flag_account::*;
pub use fund_insurance::*;
pub use initialize_exchange::*;
pub use liquidate::*;
pub use pool_liquidity::*;
pub use refresh_market::*;
pub use resolve_bankruptcy::*;
pub use set_market_oracle::*;
pub use set_paused::*;
pub use settle_claim::*;
pub use settle_market::*;
pub use trade::*;
pub use transfer_admin::*;
pub use unflag_account::*;
pub use update_market::*;
pub use withdraw::*;
