//! Margin requirements: tiered by position notional, continuous across tier boundaries, raised by a
//! volatility add-on. All requirements round up.

use super::checked::{add, mul, mul_div_ceil, sub, MathError, MathResult};
use super::constants::RATIO_PRECISION;

/// One tier of a market's margin table. A tier covers notionals from the previous tier's
/// `notional_upper` (0 for the first) up to its own (exclusive; the last tier is unbounded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tier {
    /// Quote native units.
    pub notional_upper: i128,
    /// RATIO_PRECISION.
    pub initial_ratio: i128,
    /// RATIO_PRECISION.
    pub maintenance_ratio: i128,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    Initial,
    Maintenance,
}

fn ratio(tier: &Tier, kind: Requirement) -> i128 {
    match kind {
        Requirement::Initial => tier.initial_ratio,
        Requirement::Maintenance => tier.maintenance_ratio,
    }
}

/// `notional × ratio_k − deduction_k`, rounded up, where tier k contains `notional` and the
/// deduction makes the requirement continuous: at every boundary both tiers give the same value.
/// `deduction_k = Σ_{j<k} upper_j × (ratio_{j+1} − ratio_j)` (in quote × RATIO_PRECISION, exact).
pub fn tier_requirement(notional: i128, tiers: &[Tier], kind: Requirement) -> MathResult<i128> {
    let mut deduction = 0i128;
    for (k, tier) in tiers.iter().enumerate() {
        if k > 0 {
            let prev = &tiers[k - 1];
            deduction = add(deduction, mul(prev.notional_upper, sub(ratio(tier, kind), ratio(prev, kind))?)?)?;
        }
        if notional < tier.notional_upper || k + 1 == tiers.len() {
            let scaled = sub(mul(notional, ratio(tier, kind))?, deduction)?;
            return super::checked::div_ceil(scaled, RATIO_PRECISION);
        }
    }
    Err(MathError::DivisionByZero)
}

/// `notional × ratio`, rounded up: the volatility add-on and the liquidation-end buffer.
pub fn ratio_of(notional: i128, ratio: i128) -> MathResult<i128> {
    mul_div_ceil(notional, ratio, RATIO_PRECISION)
}

/// A position's requirement: its tier requirement plus the market's volatility add-on.
pub fn position_requirement(notional: i128, tiers: &[Tier], kind: Requirement, addon_ratio: i128) -> MathResult<i128> {
    add(tier_requirement(notional, tiers, kind)?, ratio_of(notional, addon_ratio)?)
}

/// Maintenance requirement plus the liquidation-end buffer: the level a liquidation restores.
pub fn liquidation_end_requirement(
    notional: i128,
    tiers: &[Tier],
    addon_ratio: i128,
    buffer_ratio: i128,
) -> MathResult<i128> {
    add(
        position_requirement(notional, tiers, Requirement::Maintenance, addon_ratio)?,
        ratio_of(notional, buffer_ratio)?,
    )
}

/// Why a tier table is unusable, if it is.
pub fn validate_tiers(tiers: &[Tier], min_maintenance_ratio: i128) -> Result<(), &'static str> {
    if tiers.is_empty() {
        return Err("at least one tier");
    }
    for (k, t) in tiers.iter().enumerate() {
        if t.maintenance_ratio < min_maintenance_ratio {
            return Err("maintenance ratio must exceed the liquidation fees");
        }
        if t.initial_ratio <= t.maintenance_ratio || t.initial_ratio > RATIO_PRECISION {
            return Err("initial ratio must exceed maintenance and be at most 100%");
        }
        if k > 0 {
            let p = &tiers[k - 1];
            if t.notional_upper <= p.notional_upper {
                return Err("tier bounds must increase");
            }
            if t.initial_ratio < p.initial_ratio || t.maintenance_ratio < p.maintenance_ratio {
                return Err("tier ratios must not decrease");
            }
        }
        if t.notional_upper <= 0 {
            return Err("tier bounds must be positive");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const USD: i128 = 1_000_000;

    /// 0–100k: 10% / 5%; 100k–1M: 20% / 10%; above: 40% / 20%.
    fn tiers() -> [Tier; 3] {
        [
            Tier { notional_upper: 100_000 * USD, initial_ratio: 100_000, maintenance_ratio: 50_000 },
            Tier { notional_upper: 1_000_000 * USD, initial_ratio: 200_000, maintenance_ratio: 100_000 },
            Tier { notional_upper: i128::MAX, initial_ratio: 400_000, maintenance_ratio: 200_000 },
        ]
    }

    struct Case {
        notional: i128,
        maintenance: i128,
        initial: i128,
    }

    #[test]
    fn tiered_requirements_follow_the_table() {
        let cases = [
            // 50k in tier 0: 5% → 2.5k, 10% → 5k.
            Case { notional: 50_000 * USD, maintenance: 2_500 * USD, initial: 5_000 * USD },
            // 100k starts tier 1: 10% × 100k − 100k × (10% − 5%) = 10k − 5k = 5k (= tier 0's 5% × 100k).
            Case { notional: 100_000 * USD, maintenance: 5_000 * USD, initial: 10_000 * USD },
            // 500k: 10% × 500k − 5k = 45k; initial 20% × 500k − 100k × 10% = 90k.
            Case { notional: 500_000 * USD, maintenance: 45_000 * USD, initial: 90_000 * USD },
            // 2M in tier 2: deduction 5k + 1M × 10% = 105k → 20% × 2M − 105k = 295k;
            // initial: 10k + 1M × 20% = 210k → 40% × 2M − 210k = 590k.
            Case { notional: 2_000_000 * USD, maintenance: 295_000 * USD, initial: 590_000 * USD },
            // 1 native unit: 5% of 1 rounds up to 1.
            Case { notional: 1, maintenance: 1, initial: 1 },
            Case { notional: 0, maintenance: 0, initial: 0 },
        ];
        for c in cases {
            assert_eq!(
                tier_requirement(c.notional, &tiers(), Requirement::Maintenance),
                Ok(c.maintenance),
                "{}",
                c.notional
            );
            assert_eq!(tier_requirement(c.notional, &tiers(), Requirement::Initial), Ok(c.initial), "{}", c.notional);
        }
    }

    #[test]
    fn requirements_are_continuous_at_every_boundary() {
        let t = tiers();
        for boundary in [t[0].notional_upper, t[1].notional_upper] {
            for kind in [Requirement::Maintenance, Requirement::Initial] {
                let below = tier_requirement(boundary - 1, &t, kind).unwrap();
                let at = tier_requirement(boundary, &t, kind).unwrap();
                // One native unit of notional moves the requirement by at most one unit (ratios < 100%).
                assert!(at - below <= 1 && at >= below, "{kind:?} at {boundary}: {below} → {at}");
            }
        }
    }

    #[test]
    fn add_on_and_buffer_round_up() {
        // 1.5% add-on on 1000.000001 → 15.000000015 → 15.000001.
        assert_eq!(ratio_of(1_000 * USD + 1, 15_000), Ok(15 * USD + 1));
        // 50k: 2.5k maintenance + 1% add-on 500 + 0.5% buffer 250.
        assert_eq!(liquidation_end_requirement(50_000 * USD, &tiers(), 10_000, 5_000), Ok(3_250 * USD));
    }

    #[test]
    fn malformed_tables_are_refused() {
        let mut t = tiers();
        assert_eq!(validate_tiers(&t, 10_000), Ok(()));
        t[1].maintenance_ratio = 40_000;
        assert!(validate_tiers(&t, 10_000).is_err());
        let mut t = tiers();
        t[0].initial_ratio = t[0].maintenance_ratio;
        assert!(validate_tiers(&t, 10_000).is_err());
        assert!(validate_tiers(&tiers(), 60_000).is_err());
        assert!(validate_tiers(&[], 0).is_err());
    }
}
