//! Paying an empty account's deficit: the insurance fund first, the pool for the rest.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolution {
    pub deficit: i128,
    pub insurance_paid: i128,
    pub socialized_loss: i128,
}

/// `collateral` must be negative. The insurance fund pays what it can; the remainder is
/// socialized on the pool; the account returns to zero.
pub fn resolve(collateral: i128, insurance_balance: i128) -> Resolution {
    let deficit = (-collateral).max(0);
    let insurance_paid = deficit.min(insurance_balance.max(0));
    Resolution { deficit, insurance_paid, socialized_loss: deficit - insurance_paid }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insurance_pays_first_and_the_pool_takes_the_rest() {
        assert_eq!(resolve(-100, 1_000), Resolution { deficit: 100, insurance_paid: 100, socialized_loss: 0 });
        assert_eq!(resolve(-100, 30), Resolution { deficit: 100, insurance_paid: 30, socialized_loss: 70 });
        assert_eq!(resolve(-100, 0), Resolution { deficit: 100, insurance_paid: 0, socialized_loss: 100 });
    }
}
