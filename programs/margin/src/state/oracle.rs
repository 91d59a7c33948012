//! Reading a market's Pyth price from its oracle account, in either layout the program accepts.
//! Parsing is by byte offsets on plain slices, so it is tested without any account plumbing.

use crate::errors::MarginError;
use crate::math::oracle_price::{scale_conf_ceil, scale_price_floor};

/// `sha256("account:PriceUpdateV2")[..8]`.
pub const PRICE_UPDATE_V2_DISCRIMINATOR: [u8; 8] = [34, 241, 35, 99, 157, 126, 244, 205];
/// Pyth legacy push accounts: magic, version 2, account type 3 (price).
pub const LEGACY_MAGIC: u32 = 0xa1b2_c3d4;
pub const LEGACY_VERSION: u32 = 2;
pub const LEGACY_PRICE_ACCOUNT: u32 = 3;
/// `PriceStatus::Trading` in the legacy layout.
pub const LEGACY_STATUS_TRADING: u32 = 1;

/// A price in PRICE_PRECISION with its confidence (rounded up) and publish time (unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OracleReading {
    pub price: i128,
    pub conf: i128,
    pub publish_time: i64,
}

fn u32_at(d: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(d[o..o + 4].try_into().unwrap())
}
fn i32_at(d: &[u8], o: usize) -> i32 {
    i32::from_le_bytes(d[o..o + 4].try_into().unwrap())
}
fn i64_at(d: &[u8], o: usize) -> i64 {
    i64::from_le_bytes(d[o..o + 8].try_into().unwrap())
}
fn u64_at(d: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(d[o..o + 8].try_into().unwrap())
}

fn reading(price: i64, conf: u64, expo: i32, publish_time: i64) -> Result<OracleReading, MarginError> {
    if price <= 0 {
        return Err(MarginError::InvalidOraclePrice);
    }
    let scaled = scale_price_floor(price, expo).map_err(|_| MarginError::InvalidOraclePrice)?;
    if scaled <= 0 {
        return Err(MarginError::InvalidOraclePrice);
    }
    Ok(OracleReading {
        price: scaled,
        conf: scale_conf_ceil(conf, expo).map_err(|_| MarginError::InvalidOraclePrice)?,
        publish_time,
    })
}

/// `PriceUpdateV2`: discriminator, write_authority (32), verification_level (borsh enum:
/// 0 = Partial { num_signatures: u8 }, 1 = Full), price_message { feed_id [32], price i64,
/// conf u64, exponent i32, publish_time i64, prev_publish_time i64, ema_price i64, ema_conf u64 },
/// posted_slot u64. Only fully verified updates for `feed_id` are accepted.
pub fn parse_price_update_v2(data: &[u8], feed_id: &[u8; 32]) -> Result<OracleReading, MarginError> {
    if data.len() < 8 + 32 + 1 || data[..8] != PRICE_UPDATE_V2_DISCRIMINATOR {
        return Err(MarginError::InvalidOracleAccount);
    }
    let mut o = 8 + 32;
    match data[o] {
        1 => o += 1,
        0 => return Err(MarginError::OracleNotFullyVerified),
        _ => return Err(MarginError::InvalidOracleAccount),
    }
    if data.len() < o + 32 + 8 + 8 + 4 + 8 {
        return Err(MarginError::InvalidOracleAccount);
    }
    if &data[o..o + 32] != feed_id {
        return Err(MarginError::WrongOracleFeed);
    }
    o += 32;
    let price = i64_at(data, o);
    let conf = u64_at(data, o + 8);
    let expo = i32_at(data, o + 16);
    let publish_time = i64_at(data, o + 20);
    reading(price, conf, expo, publish_time)
}

/// Offsets in the legacy push price account (`pyth-client` `PriceAccount`).
pub mod legacy {
    pub const MAGIC: usize = 0;
    pub const VERSION: usize = 4;
    pub const ACCOUNT_TYPE: usize = 8;
    pub const EXPONENT: usize = 20;
    pub const TIMESTAMP: usize = 96;
    pub const AGG_PRICE: usize = 208;
    pub const AGG_CONF: usize = 216;
    pub const AGG_STATUS: usize = 224;
    pub const AGG_PUB_SLOT: usize = 232;
    pub const MIN_LEN: usize = 240;
}

/// Legacy push layout: magic, version 2, price account, aggregate status Trading.
pub fn parse_legacy_push(data: &[u8]) -> Result<OracleReading, MarginError> {
    if data.len() < legacy::MIN_LEN
        || u32_at(data, legacy::MAGIC) != LEGACY_MAGIC
        || u32_at(data, legacy::VERSION) != LEGACY_VERSION
        || u32_at(data, legacy::ACCOUNT_TYPE) != LEGACY_PRICE_ACCOUNT
    {
        return Err(MarginError::InvalidOracleAccount);
    }
    if u32_at(data, legacy::AGG_STATUS) != LEGACY_STATUS_TRADING {
        return Err(MarginError::OracleNotTrading);
    }
    reading(
        i64_at(data, legacy::AGG_PRICE),
        u64_at(data, legacy::AGG_CONF),
        i32_at(data, legacy::EXPONENT),
        i64_at(data, legacy::TIMESTAMP),
    )
}

/// Oracle account bodies in both layouts, for tests, the localnet and the demo (host builds only).
#[cfg(not(target_os = "solana"))]
pub mod fixtures {
    use super::*;

    /// A `PriceUpdateV2` account body (`full` = fully verified).
    pub fn price_update_v2(
        feed_id: [u8; 32],
        price: i64,
        conf: u64,
        expo: i32,
        publish_time: i64,
        full: bool,
    ) -> Vec<u8> {
        let mut d = PRICE_UPDATE_V2_DISCRIMINATOR.to_vec();
        d.extend_from_slice(&[9u8; 32]);
        if full {
            d.push(1);
        } else {
            d.extend_from_slice(&[0, 3]);
        }
        d.extend_from_slice(&feed_id);
        d.extend_from_slice(&price.to_le_bytes());
        d.extend_from_slice(&conf.to_le_bytes());
        d.extend_from_slice(&expo.to_le_bytes());
        d.extend_from_slice(&publish_time.to_le_bytes());
        d.extend_from_slice(&(publish_time - 1).to_le_bytes());
        d.extend_from_slice(&price.to_le_bytes());
        d.extend_from_slice(&conf.to_le_bytes());
        d.extend_from_slice(&77u64.to_le_bytes());
        d
    }

    pub fn legacy_push(price: i64, conf: u64, expo: i32, timestamp: i64, status: u32) -> Vec<u8> {
        let mut d = vec![0u8; 3312];
        d[0..4].copy_from_slice(&LEGACY_MAGIC.to_le_bytes());
        d[4..8].copy_from_slice(&LEGACY_VERSION.to_le_bytes());
        d[8..12].copy_from_slice(&LEGACY_PRICE_ACCOUNT.to_le_bytes());
        d[20..24].copy_from_slice(&expo.to_le_bytes());
        d[96..104].copy_from_slice(&timestamp.to_le_bytes());
        d[208..216].copy_from_slice(&price.to_le_bytes());
        d[216..224].copy_from_slice(&conf.to_le_bytes());
        d[224..228].copy_from_slice(&status.to_le_bytes());
        d
    }
}

#[cfg(test)]
pub mod tests {
    use super::fixtures::*;
    use super::*;

    #[test]
    fn reads_a_fully_verified_price_update() {
        let feed = [5u8; 32];
        let d = price_update_v2(feed, 15_012_345_678, 2_500_000, -8, 1_700_000_000, true);
        let r = parse_price_update_v2(&d, &feed).unwrap();
        assert_eq!(r, OracleReading { price: 150_123_456, conf: 25_000, publish_time: 1_700_000_000 });
    }

    #[test]
    fn refuses_partial_verification_a_wrong_feed_and_garbage() {
        let feed = [5u8; 32];
        let partial = price_update_v2(feed, 100, 1, -8, 1, false);
        assert_eq!(parse_price_update_v2(&partial, &feed), Err(MarginError::OracleNotFullyVerified));
        let other = price_update_v2([6u8; 32], 100, 1, -8, 1, true);
        assert_eq!(parse_price_update_v2(&other, &feed), Err(MarginError::WrongOracleFeed));
        assert_eq!(parse_price_update_v2(&[0u8; 20], &feed), Err(MarginError::InvalidOracleAccount));
        let negative = price_update_v2(feed, -100, 1, -8, 1, true);
        assert_eq!(parse_price_update_v2(&negative, &feed), Err(MarginError::InvalidOraclePrice));
    }

    #[test]
    fn reads_the_legacy_push_layout_only_while_trading() {
        let d = legacy_push(2_000_000_000, 1_000_000, -7, 42, LEGACY_STATUS_TRADING);
        assert_eq!(parse_legacy_push(&d), Ok(OracleReading { price: 200_000_000, conf: 100_000, publish_time: 42 }));
        let halted = legacy_push(2_000_000_000, 1_000_000, -7, 42, 2);
        assert_eq!(parse_legacy_push(&halted), Err(MarginError::OracleNotTrading));
        let mut bad = d.clone();
        bad[0] = 0;
        assert_eq!(parse_legacy_push(&bad), Err(MarginError::InvalidOracleAccount));
    }
}
