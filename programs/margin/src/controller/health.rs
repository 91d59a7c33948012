//! An account's equity and requirements across all its positions (cross-margin).

use crate::math::checked::{add, mul_div_floor, MathResult};
use crate::math::margin::{liquidation_end_requirement, position_requirement, ratio_of, Requirement, Tier};
use crate::math::oracle_price::valuation_price;
use crate::math::position::{base_value, notional};

/// A market's risk parameters as the math needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketRisk {
    pub tiers: Vec<Tier>,
    pub addon_ratio: i128,
    pub buffer_ratio: i128,
}

/// What a market's pool holds against what it owes its traders as a group
/// (`controller::pool::pool_liability`). Where it owes more than it holds, a trader's gain there
/// counts only at the share the pool could pay (`backed_pnl`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backing {
    pub pool_balance: i128,
    pub liability: i128,
}

/// A position with the oracle price (and confidence) it is evaluated at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedPosition {
    pub base: i128,
    pub quote_entry: i128,
    pub price: i128,
    pub conf: i128,
    pub risk: MarketRisk,
    /// Set for adding risk and withdrawing: a gain counts only as far as the pool backs it.
    pub backing: Option<Backing>,
    /// Set for a position valued without a usable oracle (`unpriced_position`): the price and
    /// confidence most favourable to its holder, which eligibility uses (`eligibility_health`).
    pub holder_view: Option<(i128, i128)>,
}

impl PricedPosition {
    pub fn new(base: i128, quote_entry: i128, price: i128, conf: i128, risk: MarketRisk) -> Self {
        PricedPosition { base, quote_entry, price, conf, risk, backing: None, holder_view: None }
    }
}

/// `pnl` as the account may count it: a gain in a market whose pool owes its traders more than it
/// holds counts at `pool_balance / liability` of it, rounded down, and never more than the pool
/// holds (the liability nets each side's losers against its winners, while a loser pays the pool
/// only when it closes); a loss always counts in full.
pub fn backed_pnl(pnl: i128, backing: Option<Backing>) -> MathResult<i128> {
    let Some(b) = backing else { return Ok(pnl) };
    if pnl <= 0 {
        return Ok(pnl);
    }
    let share =
        if b.liability > b.pool_balance { mul_div_floor(pnl, b.pool_balance.max(0), b.liability)? } else { pnl };
    Ok(share.min(b.pool_balance.max(0)))
}

/// Equity and the three requirement levels, quote native units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Health {
    pub equity: i128,
    pub initial: i128,
    pub maintenance: i128,
    pub liquidation_end: i128,
}

impl Health {
    pub fn below_initial(&self) -> bool {
        self.equity < self.initial
    }
    pub fn below_maintenance(&self) -> bool {
        self.equity < self.maintenance
    }
    pub fn below_liquidation_end(&self) -> bool {
        self.equity < self.liquidation_end
    }
}

/// A position whose oracle a liquidation cannot use (stale, too uncertain, ahead of the clock, not
/// trading), valued against its holder so the account's other markets can still be liquidated and
/// the account unflagged: at the worse, for the holder, of the market's last accepted price
/// (`refresh_market`) and the refused reading's own price, with the wider of the liquidation
/// confidence limit and the reading's confidence, under the market's normal margin. It never makes
/// a healthy account liquidatable by itself, and the position cannot be liquidated until its oracle
/// is usable. `None` with no price to go on. Its `holder_view` is the same worse price with only the
/// refused reading's own confidence (none without a positive reading), not the liquidation limit's
/// floor: whether the account may be flagged, liquidated or unflagged is judged on that view
/// (`eligibility_health`), so the floor sizes a step but never makes an account liquidatable by
/// itself.
pub fn unpriced_position(
    base: i128,
    quote_entry: i128,
    last_price: i128,
    conf_ratio: i128,
    refused: Option<(i128, i128)>,
    risk: MarketRisk,
) -> MathResult<Option<PricedPosition>> {
    let candidates = [Some(last_price), refused.map(|(p, _)| p)];
    let mut prices = candidates.iter().flatten().copied().filter(|&p| p > 0);
    let Some(first) = prices.next() else { return Ok(None) };
    let price = prices.fold(first, |worst, p| if base >= 0 { worst.min(p) } else { worst.max(p) });
    let conf = ratio_of(price, conf_ratio)?.max(refused.map(|(_, c)| c).unwrap_or(0));
    let view = (price, refused.filter(|&(p, _)| p > 0).map(|(_, c)| c).unwrap_or(0));
    Ok(Some(PricedPosition { holder_view: Some(view), ..PricedPosition::new(base, quote_entry, price, conf, risk) }))
}

/// Equity = collateral + Σ PnL at confidence-adjusted prices (gains as far as their pool backs
/// them, when `backing` is set); requirements on notionals at the oracle price.
pub fn account_health(collateral: i128, positions: &[PricedPosition]) -> MathResult<Health> {
    let mut h = Health { equity: collateral, ..Health::default() };
    for p in positions {
        let val = valuation_price(p.base, p.price, p.conf)?;
        h.equity = add(h.equity, backed_pnl(add(base_value(p.base, val)?, p.quote_entry)?, p.backing)?)?;
        let n = notional(p.base, p.price)?;
        h.initial = add(h.initial, position_requirement(n, &p.risk.tiers, Requirement::Initial, p.risk.addon_ratio)?)?;
        h.maintenance =
            add(h.maintenance, position_requirement(n, &p.risk.tiers, Requirement::Maintenance, p.risk.addon_ratio)?)?;
        h.liquidation_end = add(
            h.liquidation_end,
            liquidation_end_requirement(n, &p.risk.tiers, p.risk.addon_ratio, p.risk.buffer_ratio)?,
        )?;
    }
    Ok(h)
}

/// The health eligibility is judged on: `account_health` with every position that has a
/// `holder_view` valued at it instead. Equal to `account_health` when every oracle is usable.
pub fn eligibility_health(collateral: i128, positions: &[PricedPosition]) -> MathResult<Health> {
    if positions.iter().all(|p| p.holder_view.is_none()) {
        return account_health(collateral, positions);
    }
    let viewed: Vec<PricedPosition> = positions
        .iter()
        .map(|p| match p.holder_view {
            Some((price, conf)) => PricedPosition { price, conf, holder_view: None, ..p.clone() },
            None => p.clone(),
        })
        .collect();
    account_health(collateral, &viewed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const USD: i128 = 1_000_000;
    const ONE: i128 = 1_000_000_000;

    fn risk() -> MarketRisk {
        MarketRisk {
            tiers: vec![Tier { notional_upper: i128::MAX, initial_ratio: 100_000, maintenance_ratio: 50_000 }],
            addon_ratio: 10_000,
            buffer_ratio: 5_000,
        }
    }

    #[test]
    fn cross_margin_sums_pnl_and_requirements_over_markets() {
        // Long 10 SOL from $100 now $110 ± 0.1 (valued at 109.9): PnL +99.
        // Short 1 BTC from $50,000 now $49,000 ± 10 (valued at 49,010): PnL +990.
        let positions = [
            PricedPosition::new(10 * ONE, -1_000 * USD, 110 * USD, USD / 10, risk()),
            PricedPosition::new(-ONE, 50_000 * USD, 49_000 * USD, 10 * USD, risk()),
        ];
        let h = account_health(500 * USD, &positions).unwrap();
        assert_eq!(h.equity, (500 + 99 + 990) * USD);
        // Notionals 1,100 + 49,000 = 50,100: initial 10% + 1% = 5,511; maintenance 5% + 1% = 3,006;
        // end adds 0.5% = 250.5 → 3,256.5.
        assert_eq!(h.initial, 5_511 * USD);
        assert_eq!(h.maintenance, 3_006 * USD);
        assert_eq!(h.liquidation_end, 3_256_500_000);
        assert!(h.below_maintenance());
    }

    #[test]
    fn a_position_without_a_usable_price_is_valued_against_its_holder() {
        assert_eq!(unpriced_position(ONE, -100 * USD, 0, 20_000, None, risk()).unwrap(), None);
        // Long 1 SOL; last accepted $90, the refused reading $95 ± 3: the long is valued at the
        // lower $90, confidence max(2% × 90, 3) = 3 → 87.
        let long =
            unpriced_position(ONE, -100 * USD, 90 * USD, 20_000, Some((95 * USD, 3 * USD)), risk()).unwrap().unwrap();
        assert_eq!((long.price, long.conf), (90 * USD, 3 * USD));
        assert_eq!(account_health(50 * USD, std::slice::from_ref(&long)).unwrap().equity, 50 * USD - 13 * USD);
        // A short takes the higher price: $95 ± max(1.9, 3).
        let short =
            unpriced_position(-ONE, 100 * USD, 90 * USD, 20_000, Some((95 * USD, 3 * USD)), risk()).unwrap().unwrap();
        assert_eq!((short.price, short.conf), (95 * USD, 3 * USD));
        // Only the refused reading: it is used.
        let only = unpriced_position(ONE, -100 * USD, 0, 20_000, Some((95 * USD, USD)), risk()).unwrap().unwrap();
        assert_eq!((only.price, only.conf), (95 * USD, 1_900_000));
        // The market's normal margin applies.
        assert_eq!(long.risk, risk());
        // Eligibility keeps the worse price with the reading's own confidence, without the floor.
        assert_eq!((long.holder_view, short.holder_view), (Some((90 * USD, 3 * USD)), Some((95 * USD, 3 * USD))));
        let floored =
            unpriced_position(ONE, -100 * USD, 90 * USD, 20_000, Some((95 * USD, USD / 10)), risk()).unwrap().unwrap();
        assert_eq!((floored.conf, floored.holder_view), (1_800_000, Some((90 * USD, USD / 10))));
        assert_eq!(eligibility_health(50 * USD, &[floored]).unwrap().equity, 50 * USD - 10 * USD - USD / 10);
        // With no positive reading, the last accepted price with no widening.
        let dead = unpriced_position(ONE, -100 * USD, 90 * USD, 20_000, Some((0, 0)), risk()).unwrap().unwrap();
        assert_eq!(dead.holder_view, Some((90 * USD, 0)));
    }

    #[test]
    fn a_gain_counts_only_as_far_as_its_pool_backs_it() {
        let owes_more = Some(Backing { pool_balance: 300 * USD, liability: 1_200 * USD });
        assert_eq!(backed_pnl(100 * USD, owes_more), Ok(25 * USD));
        assert_eq!(backed_pnl(-100 * USD, owes_more), Ok(-100 * USD), "a loss counts in full");
        assert_eq!(backed_pnl(100 * USD, Some(Backing { pool_balance: 0, liability: 1 })), Ok(0));
        assert_eq!(
            backed_pnl(100 * USD, Some(Backing { pool_balance: 5_000 * USD, liability: 1_200 * USD })),
            Ok(100 * USD)
        );
        // Same-side losers net the liability to nothing, yet the pool holds only $40.
        assert_eq!(backed_pnl(100 * USD, Some(Backing { pool_balance: 40 * USD, liability: 0 })), Ok(40 * USD));
        assert_eq!(backed_pnl(100 * USD, None), Ok(100 * USD));
        // Long 10 from $100 at $110 ± 0: +$100, of which a quarter counts.
        let p =
            PricedPosition { backing: owes_more, ..PricedPosition::new(10 * ONE, -1_000 * USD, 110 * USD, 0, risk()) };
        assert_eq!(account_health(0, &[p]).unwrap().equity, 25 * USD);
    }

    #[test]
    fn an_account_without_positions_needs_nothing() {
        let h = account_health(-5, &[]).unwrap();
        assert_eq!(h, Health { equity: -5, initial: 0, maintenance: 0, liquidation_end: 0 });
    }
}
