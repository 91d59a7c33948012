//! Deficits land where they arose. A loss an account's collateral cannot pay is never credited to
//! the pool that won it: the account records it as a shortfall of that market. When the account
//! later covers part of its deficit (deposits, winnings), the covered part goes to those markets'
//! pools, oldest shortfall first; at resolution each recorded market's insurance fund pays its
//! share into its pool and the rest is socialised, that is, the pool forgoes that gain. A pool only
//! ever holds real money.

use crate::math::checked::MathResult;

/// Splits `deficit` over the recorded `shortfalls` (oldest first): the newest shortfalls carry it,
/// each up to what it recorded, so what the account has covered since repays the oldest first. No
/// entry is charged more than it recorded; `None` when nothing is recorded.
pub fn allocate(deficit: i128, shortfalls: &[i128]) -> MathResult<Option<Vec<i128>>> {
    if shortfalls.iter().all(|&s| s <= 0) {
        return Ok(None);
    }
    let mut left = deficit.max(0);
    let mut shares = vec![0; shortfalls.len()];
    for k in (0..shortfalls.len()).rev() {
        let take = left.min(shortfalls[k].max(0));
        shares[k] = take;
        left -= take;
    }
    Ok(Some(shares))
}

/// The part of `shares` (a deficit's allocation, `allocate`) that stays on the record because the
/// account's claims on pools back it: `backed`, taken from the newest entries first. Returns what
/// each entry keeps.
pub fn keep_backed(shares: &[i128], backed: i128) -> Vec<i128> {
    let mut left = backed.max(0);
    let mut kept = vec![0; shares.len()];
    for k in (0..shares.len()).rev() {
        kept[k] = left.min(shares[k].max(0));
        left -= kept[k];
    }
    kept
}

/// Entry `k` of a record settled against the account's current `deficit`: (what the account has
/// covered of it, for the market's pool; what stays recorded).
pub fn settle_entry(deficit: i128, shortfalls: &[i128], k: usize) -> MathResult<(i128, i128)> {
    let Some(shares) = allocate(deficit, shortfalls)? else { return Ok((0, 0)) };
    Ok((shortfalls[k] - shares[k], shares[k]))
}

/// One market's part of a resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarketCharge {
    /// The deficit charged to this market.
    pub deficit: i128,
    pub insurance_paid: i128,
    /// The part of the charge the pool forgoes (no insurance left to pay it).
    pub socialized_loss: i128,
    /// Paid into the pool: what the account covered of its recorded shortfall, plus insurance.
    pub pool_credit: i128,
}

/// Resolves a market's `recorded` shortfall of which `share` is still unpaid: insurance pays what
/// it can into the pool, the account's covered part goes to the pool too.
pub fn charge(recorded: i128, share: i128, insurance_balance: i128) -> MarketCharge {
    let insurance_paid = share.min(insurance_balance.max(0));
    MarketCharge {
        deficit: share,
        insurance_paid,
        socialized_loss: share - insurance_paid,
        pool_credit: recorded - share + insurance_paid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_shortfalls_carry_the_deficit_never_above_what_they_recorded() {
        assert_eq!(allocate(100, &[]).unwrap(), None);
        assert_eq!(allocate(100, &[0, 0]).unwrap(), None);
        assert_eq!(allocate(100, &[300, 100]).unwrap(), Some(vec![0, 100]));
        assert_eq!(allocate(350, &[300, 100]).unwrap(), Some(vec![250, 100]));
        assert_eq!(allocate(0, &[5, 7]).unwrap(), Some(vec![0, 0]));
        // More than recorded (a version-1 account): at most the record is allocated.
        assert_eq!(allocate(50, &[10, 20]).unwrap(), Some(vec![10, 20]));
    }

    #[test]
    fn settling_gives_the_pool_what_the_account_covered_oldest_first() {
        // Recorded 500 in SOL then 300 in ETH; the account now owes 400: SOL's oldest 400 are covered.
        assert_eq!(settle_entry(400, &[500, 300], 0).unwrap(), (400, 100));
        assert_eq!(settle_entry(400, &[500, 300], 1).unwrap(), (0, 300));
        assert_eq!(settle_entry(0, &[500, 300], 1).unwrap(), (300, 0));
        assert_eq!(settle_entry(10, &[0, 0], 1).unwrap(), (0, 0));
    }

    #[test]
    fn claims_keep_the_newest_part_of_a_deficit_on_the_record() {
        assert_eq!(keep_backed(&[250, 100], 0), vec![0, 0]);
        assert_eq!(keep_backed(&[250, 100], 150), vec![50, 100]);
        assert_eq!(keep_backed(&[250, 100], 1_000), vec![250, 100]);
    }

    #[test]
    fn insurance_pays_into_the_pool_and_the_pool_forgoes_the_rest() {
        assert_eq!(
            charge(500, 300, 1_000),
            MarketCharge { deficit: 300, insurance_paid: 300, socialized_loss: 0, pool_credit: 500 }
        );
        assert_eq!(
            charge(500, 300, 100),
            MarketCharge { deficit: 300, insurance_paid: 100, socialized_loss: 200, pool_credit: 300 }
        );
        assert_eq!(
            charge(300, 300, 0),
            MarketCharge { deficit: 300, insurance_paid: 0, socialized_loss: 300, pool_credit: 0 }
        );
    }
}
