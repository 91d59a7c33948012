//! Test vectors for the TypeScript mirror of this module and of the controller's rules (account
//! health, the oracle check, flag/liquidation/unflag eligibility): `vectors/math.json` at the crate root,
//! generated here from the Rust functions. The test fails when the committed file is stale;
//! `UPDATE_VECTORS=1 cargo test -p margin vectors` rewrites it.

use serde_json::{json, Value};

use super::liquidation::{base_to_close, liquidation_price, shrink_fees, ClosingPosition, RestOfAccount};
use super::margin::{liquidation_end_requirement, tier_requirement, Requirement, Tier};
use super::oracle_price::{execution_price, scale_conf_ceil, scale_price_floor, valuation_price};
use super::position::{apply_trade, base_value, notional};
use super::volatility::{decay_factor, ewma_variance_elapsed, return_ratio_abs, volatility_addon_ratio};
use crate::controller::health::{
    account_health, backed_pnl, eligibility_health, unpriced_position, Backing, Health, MarketRisk, PricedPosition,
};
use crate::controller::liquidation::{bankruptcy_cleared, flag_eligible, liquidation_eligible, unflag_eligible};
use crate::controller::oracle_guard::{self, OracleLimits};
use crate::errors::MarginError;
use crate::state::{AccountStatus, OracleReading};

/// Deterministic xorshift64* so the vectors never change unless the math does.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn range(&mut self, lo: i128, hi: i128) -> i128 {
        lo + (self.next() as i128).rem_euclid(hi - lo)
    }
}

const USD: i128 = 1_000_000;
const ONE: i128 = 1_000_000_000;

fn s(v: i128) -> Value {
    Value::String(v.to_string())
}

fn tiers_json(tiers: &[Tier]) -> Value {
    tiers
        .iter()
        .map(|t| json!({ "notionalUpper": s(t.notional_upper), "initialRatio": s(t.initial_ratio), "maintenanceRatio": s(t.maintenance_ratio) }))
        .collect()
}

const TIERS: [Tier; 3] = [
    Tier { notional_upper: 100_000 * USD, initial_ratio: 100_000, maintenance_ratio: 50_000 },
    Tier { notional_upper: 1_000_000 * USD, initial_ratio: 200_000, maintenance_ratio: 100_000 },
    Tier { notional_upper: 100_000_000_000 * USD, initial_ratio: 400_000, maintenance_ratio: 200_000 },
];

fn generate() -> Value {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut tier_cases = vec![];
    for _ in 0..60 {
        let n = rng.range(0, 3_000_000 * USD);
        let kind = if rng.next().is_multiple_of(2) { Requirement::Maintenance } else { Requirement::Initial };
        tier_cases.push(json!({
            "notional": s(n),
            "kind": if kind == Requirement::Maintenance { "maintenance" } else { "initial" },
            "expected": s(tier_requirement(n, &TIERS, kind).unwrap()),
        }));
    }
    // Sixteen brackets, as wide a table as a market holds, doubling from $50k.
    let tiers16: Vec<Tier> = (0..16)
        .map(|k| Tier {
            notional_upper: if k == 15 { i128::MAX } else { (50_000 * USD) << k },
            initial_ratio: 20_000 + 20_000 * k as i128,
            maintenance_ratio: 10_000 + 10_000 * k as i128,
        })
        .collect();
    let mut tier16_cases = vec![];
    for k in 0..60 {
        // Half the notionals within a unit of a bracket edge, where continuity is tested hardest.
        let n = if k % 2 == 0 {
            ((50_000 * USD) << (k / 4)) + rng.range(-1, 2)
        } else {
            rng.range(0, (50_000 * USD) << 16)
        };
        let kind = if k % 3 == 0 { Requirement::Initial } else { Requirement::Maintenance };
        tier16_cases.push(json!({
            "notional": s(n),
            "kind": if kind == Requirement::Maintenance { "maintenance" } else { "initial" },
            "expected": s(tier_requirement(n, &tiers16, kind).unwrap()),
        }));
    }
    let mut end_cases = vec![];
    for _ in 0..30 {
        let n = rng.range(0, 3_000_000 * USD);
        let (addon, buffer) = (rng.range(0, 50_000), rng.range(0, 20_000));
        end_cases.push(json!({
            "notional": s(n), "addonRatio": s(addon), "bufferRatio": s(buffer),
            "expected": s(liquidation_end_requirement(n, &TIERS, addon, buffer).unwrap()),
        }));
    }
    let mut price_cases = vec![];
    for _ in 0..30 {
        let mantissa = rng.range(1, 1 << 40) as i64;
        let conf = rng.range(0, 1 << 30) as u64;
        let expo = rng.range(-12, 0) as i32;
        price_cases.push(json!({
            "mantissa": s(i128::from(mantissa)), "conf": s(i128::from(conf)), "expo": expo,
            "price": s(scale_price_floor(mantissa, expo).unwrap()),
            "confScaled": s(scale_conf_ceil(conf, expo).unwrap()),
        }));
    }
    let mut position_cases = vec![];
    for _ in 0..60 {
        let base = rng.range(-1_000 * ONE, 1_000 * ONE);
        let price = rng.range(1, 5_000 * USD);
        let conf = rng.range(0, price / 50 + 1);
        let impact = rng.range(0, 5_000);
        let entry_price = rng.range(1, 5_000 * USD);
        let opened = apply_trade(0, 0, base, entry_price).unwrap();
        let trade = rng.range(-1_500 * ONE, 1_500 * ONE);
        let exec = execution_price(trade, price, impact).unwrap();
        let traded = apply_trade(opened.base, opened.quote_entry, trade, exec).unwrap();
        position_cases.push(json!({
            "base": s(base), "entryPrice": s(entry_price), "price": s(price), "conf": s(conf),
            "impactRatio": s(impact), "trade": s(trade),
            "quoteEntry": s(opened.quote_entry),
            "valuationPrice": s(valuation_price(base, price, conf).unwrap()),
            "baseValue": s(base_value(base, price).unwrap()),
            "notional": s(notional(base, price).unwrap()),
            "execPrice": s(exec),
            "after": { "base": s(traded.base), "quoteEntry": s(traded.quote_entry), "realizedPnl": s(traded.realized_pnl) },
        }));
    }
    let mut vol_cases = vec![];
    let mut var = 0i128;
    let mut prev = 100 * USD;
    for _ in 0..40 {
        let next = (prev + rng.range(-30 * USD, 30 * USD + 1)).max(USD);
        let r = return_ratio_abs(prev, next).unwrap();
        let elapsed = [1, 1, 2, 5, 30, 400, 5_000][rng.range(0, 7) as usize];
        let lambda = [940_000, 995_000, 999_900][rng.range(0, 3) as usize];
        let new_var = ewma_variance_elapsed(var, r, lambda, elapsed).unwrap();
        vol_cases.push(json!({
            "prevPrice": s(prev), "price": s(next), "prevVariance": s(var), "lambda": s(lambda), "elapsedS": elapsed,
            "decay": s(decay_factor(lambda, elapsed).unwrap()),
            "returnAbs": s(r), "variance": s(new_var),
            "addonRatio": s(volatility_addon_ratio(new_var, 2_000_000, 100_000).unwrap()),
        }));
        var = new_var;
        prev = next;
    }
    let mut liq_cases = vec![];
    for _ in 0..40 {
        let oracle = rng.range(USD, 1_000 * USD);
        let base = rng.range(-5_000 * ONE, 5_000 * ONE).max(1);
        let conf = rng.range(0, oracle / 200 + 1);
        let pos = ClosingPosition {
            base,
            oracle_price: oracle,
            conf,
            exec_price: execution_price(-base, oracle, 1_000).unwrap(),
            tiers: &TIERS,
            addon_ratio: 2_000,
            buffer_ratio: 10_000,
            liquidator_fee_ratio: 5_000,
            insurance_fee_ratio: 2_500,
        };
        let n = notional(base, oracle).unwrap();
        let end = liquidation_end_requirement(n, &TIERS, 2_000, 10_000).unwrap() + rng.range(0, 1_000 * USD);
        let equity = rng.range(-n / 10, end + 1);
        let max_close = rng.range(1, base.abs() + 1);
        let floor = rng.range(0, 100 * USD);
        liq_cases.push(json!({
            "base": s(base), "oraclePrice": s(oracle), "conf": s(conf), "execPrice": s(pos.exec_price),
            "addonRatio": s(2_000), "bufferRatio": s(10_000), "liquidatorFeeRatio": s(5_000), "insuranceFeeRatio": s(2_500),
            "equity": s(equity), "endRequirement": s(end), "maxCloseAbs": s(max_close), "minRemainderNotional": s(floor),
            "expected": s(base_to_close(equity, end, &pos, max_close, floor).unwrap()),
        }));
    }
    let mut fee_cases = vec![];
    for _ in 0..20 {
        let (l, i, e) = (rng.range(0, 10_000 * USD), rng.range(0, 10_000 * USD), rng.range(-5_000 * USD, 20_000 * USD));
        let (sl, si) = shrink_fees(l, i, e).unwrap();
        fee_cases.push(json!({ "liquidatorFee": s(l), "insuranceFee": s(i), "equityAfterClose": s(e), "expected": [s(sl), s(si)] }));
    }
    let mut liq_price_cases = vec![];
    for _ in 0..30 {
        let base = rng.range(-1_000 * ONE, 1_000 * ONE);
        let entry = rng.range(USD, 500 * USD);
        let quote_entry = apply_trade(0, 0, base, entry).unwrap().quote_entry;
        let rest = RestOfAccount {
            equity: rng.range(0, notional(base, entry).unwrap() / 4 + 1),
            maintenance: rng.range(0, 100 * USD),
        };
        let conf_ratio = rng.range(0, 2_000);
        let p = liquidation_price(base, quote_entry, conf_ratio, &TIERS, 2_000, &rest, 1 << 40).unwrap();
        liq_price_cases.push(json!({
            "base": s(base), "quoteEntry": s(quote_entry), "confRatio": s(conf_ratio), "addonRatio": s(2_000),
            "restEquity": s(rest.equity), "restMaintenance": s(rest.maintenance), "maxPrice": s(1 << 40),
            "expected": p.map(s).unwrap_or(Value::Null),
        }));
    }
    let mut eligibility_cases = vec![];
    for k in 0..60 {
        let maintenance = rng.range(0, 1_000 * USD);
        let end = maintenance + rng.range(0, 100 * USD);
        // Equities clustered around the two levels, so every boundary is hit.
        let equity = match k % 4 {
            0 => maintenance + rng.range(-2, 3),
            1 => end + rng.range(-2, 3),
            _ => rng.range(-500 * USD, 1_500 * USD),
        };
        let health = Health { equity, initial: end * 2, maintenance, liquidation_end: end };
        let status = [AccountStatus::Healthy, AccountStatus::BeingLiquidated, AccountStatus::Bankrupt][k % 3];
        let collateral = rng.range(-100 * USD, 100 * USD);
        let has_positions = rng.next().is_multiple_of(2);
        eligibility_cases.push(json!({
            "equity": s(equity), "maintenance": s(maintenance), "liquidationEnd": s(end), "status": status as u8,
            "collateral": s(collateral), "hasPositions": has_positions,
            "flag": flag_eligible(&health, status),
            "liquidation": liquidation_eligible(&health, status),
            "unflag": unflag_eligible(&health, status),
            "bankruptcyCleared": bankruptcy_cleared(collateral, status, has_positions),
        }));
    }
    let mut health_cases = vec![];
    for _ in 0..30 {
        let collateral = rng.range(-1_000 * USD, 50_000 * USD);
        let positions: Vec<PricedPosition> = (0..rng.range(0, 4))
            .map(|_| {
                let price = rng.range(USD, 5_000 * USD);
                let base = rng.range(-500 * ONE, 500 * ONE);
                PricedPosition::new(
                    base,
                    apply_trade(0, 0, base, rng.range(USD, 5_000 * USD)).unwrap().quote_entry,
                    price,
                    rng.range(0, price / 100 + 1),
                    MarketRisk {
                        tiers: TIERS.to_vec(),
                        addon_ratio: rng.range(0, 50_000),
                        buffer_ratio: rng.range(0, 20_000),
                    },
                )
            })
            .collect();
        let h = account_health(collateral, &positions).unwrap();
        health_cases.push(json!({
            "collateral": s(collateral),
            "positions": positions.iter().map(|p| json!({
                "base": s(p.base), "quoteEntry": s(p.quote_entry), "price": s(p.price), "conf": s(p.conf),
                "addonRatio": s(p.risk.addon_ratio), "bufferRatio": s(p.risk.buffer_ratio),
            })).collect::<Vec<_>>(),
            "expected": { "equity": s(h.equity), "initial": s(h.initial), "maintenance": s(h.maintenance), "liquidationEnd": s(h.liquidation_end) },
        }));
    }
    let mut unpriced_cases = vec![];
    for k in 0..20 {
        let base = rng.range(-500 * ONE, 500 * ONE);
        let quote_entry = apply_trade(0, 0, base, rng.range(USD, 5_000 * USD)).unwrap().quote_entry;
        let last_price = if k % 5 == 0 { 0 } else { rng.range(USD, 5_000 * USD) };
        let conf_ratio = rng.range(0, 30_000);
        let collateral = rng.range(0, 100_000 * USD);
        let refused = if k % 3 == 0 {
            None
        } else {
            let p = rng.range(USD, 5_000 * USD);
            Some((p, rng.range(0, p / 20)))
        };
        let risk =
            MarketRisk { tiers: TIERS.to_vec(), addon_ratio: rng.range(0, 50_000), buffer_ratio: rng.range(0, 20_000) };
        let expected = unpriced_position(base, quote_entry, last_price, conf_ratio, refused, risk.clone()).unwrap().map(|p| {
            let h = account_health(collateral, std::slice::from_ref(&p)).unwrap();
            let e = eligibility_health(collateral, std::slice::from_ref(&p)).unwrap();
            let (view_price, view_conf) = p.holder_view.unwrap();
            json!({
                "price": s(p.price), "conf": s(p.conf), "equity": s(h.equity), "initial": s(h.initial), "maintenance": s(h.maintenance), "liquidationEnd": s(h.liquidation_end),
                "holderView": { "price": s(view_price), "conf": s(view_conf) },
                "eligibility": { "equity": s(e.equity), "maintenance": s(e.maintenance), "liquidationEnd": s(e.liquidation_end) },
            })
        });
        unpriced_cases.push(json!({
            "base": s(base), "quoteEntry": s(quote_entry), "lastPrice": s(last_price), "confRatio": s(conf_ratio), "collateral": s(collateral),
            "refused": refused.map(|(p, c)| json!({ "price": s(p), "conf": s(c) })).unwrap_or(Value::Null),
            "addonRatio": s(risk.addon_ratio), "bufferRatio": s(risk.buffer_ratio),
            "expected": expected.unwrap_or(Value::Null),
        }));
    }
    let mut guard_cases = vec![];
    for _ in 0..40 {
        let price = rng.range(-5 * USD, 1_000 * USD);
        let conf = rng.range(0, price.max(USD) / 40);
        let now = 1_800_000_000i64;
        let publish_time = now + rng.range(-130, 12) as i64;
        let limits = OracleLimits { max_age_s: rng.range(1, 121) as i64, max_conf_ratio: rng.range(1, 30_000) };
        let r = oracle_guard::check(&OracleReading { price, conf, publish_time }, now, limits);
        guard_cases.push(json!({
            "price": s(price), "conf": s(conf), "publishTime": publish_time, "now": now,
            "maxAgeS": limits.max_age_s, "maxConfRatio": s(limits.max_conf_ratio),
            "expected": match r {
                Ok(()) => Value::Null,
                Err(MarginError::OracleFromFuture) => json!("oracle-from-future"),
                Err(MarginError::StaleOracle) => json!("stale-oracle"),
                Err(MarginError::OracleTooUncertain) => json!("oracle-too-uncertain"),
                Err(MarginError::InvalidOraclePrice) => json!("invalid-oracle-price"),
                Err(e) => panic!("unexpected {e:?}"),
            },
        }));
    }
    let mut backed_cases = vec![];
    for k in 0..30 {
        let pnl = rng.range(-10_000 * USD, 10_000 * USD);
        let backing = (k % 4 != 0)
            .then(|| Backing { pool_balance: rng.range(-USD, 5_000 * USD), liability: rng.range(0, 20_000 * USD) });
        backed_cases.push(json!({
            "pnl": s(pnl),
            "backing": backing.map(|b| json!({ "poolBalance": s(b.pool_balance), "liability": s(b.liability) })).unwrap_or(Value::Null),
            "expected": s(backed_pnl(pnl, backing).unwrap()),
        }));
    }
    json!({
        "about": "Generated by programs/margin/src/math/vectors.rs; integers are decimal strings.",
        "tiers": tiers_json(&TIERS),
        "tierRequirement": tier_cases,
        "tiers16": tiers_json(&tiers16),
        "tierRequirement16": tier16_cases,
        "liquidationEndRequirement": end_cases,
        "pythPrice": price_cases,
        "position": position_cases,
        "volatility": vol_cases,
        "baseToClose": liq_cases,
        "shrinkFees": fee_cases,
        "liquidationPrice": liq_price_cases,
        "eligibility": eligibility_cases,
        "accountHealth": health_cases,
        "oracleGuard": guard_cases,
        "unpricedPosition": unpriced_cases,
        "backedPnl": backed_cases,
    })
}

#[test]
fn committed_vectors_match_the_math() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors/math.json");
    let mut generated = serde_json::to_string_pretty(&generate()).unwrap();
    generated.push('\n');
    if std::env::var_os("UPDATE_VECTORS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == generated, "{} is stale: run `UPDATE_VECTORS=1 cargo test -p margin vectors`", path.display());
}
