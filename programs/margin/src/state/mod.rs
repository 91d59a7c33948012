pub mod exchange;
pub mod margin_account;
pub mod market;
pub mod oracle;

pub use exchange::*;
pub use margin_account::*;
pub use market::*;
pub use oracle::*;

#[cfg(test)]
mod size_tests {
    use super::*;
    use anchor_lang::Space;

    /// Account sizes are part of the public contract (README lists them with the discriminator).
    #[test]
    fn account_sizes_are_stable() {
        assert_eq!(8 + Exchange::INIT_SPACE, 295);
        assert_eq!(8 + Market::SIZE, 640);
        assert_eq!(8 + MarginAccount::SIZE, 616);
        assert_eq!(MarginAccount::OWNER_OFFSET, 8 + std::mem::offset_of!(MarginAccount, owner));
        assert_eq!(MarginAccount::STATUS_OFFSET, 8 + std::mem::offset_of!(MarginAccount, status));
    }
}
