//! Checked integer helpers. Division rounds explicitly: `floor` towards −∞, `ceil` towards +∞.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MathError {
    Overflow,
    DivisionByZero,
}

pub type MathResult<T> = Result<T, MathError>;

pub fn mul(a: i128, b: i128) -> MathResult<i128> {
    a.checked_mul(b).ok_or(MathError::Overflow)
}

pub fn add(a: i128, b: i128) -> MathResult<i128> {
    a.checked_add(b).ok_or(MathError::Overflow)
}

pub fn sub(a: i128, b: i128) -> MathResult<i128> {
    a.checked_sub(b).ok_or(MathError::Overflow)
}

pub fn div_floor(a: i128, b: i128) -> MathResult<i128> {
    if b == 0 {
        return Err(MathError::DivisionByZero);
    }
    let q = a.checked_div(b).ok_or(MathError::Overflow)?;
    Ok(if (a % b != 0) && ((a < 0) != (b < 0)) { q - 1 } else { q })
}

pub fn div_ceil(a: i128, b: i128) -> MathResult<i128> {
    if b == 0 {
        return Err(MathError::DivisionByZero);
    }
    let q = a.checked_div(b).ok_or(MathError::Overflow)?;
    Ok(if (a % b != 0) && ((a < 0) == (b < 0)) { q + 1 } else { q })
}

/// `a * b / c`, rounded down.
pub fn mul_div_floor(a: i128, b: i128, c: i128) -> MathResult<i128> {
    div_floor(mul(a, b)?, c)
}

/// `a * b / c`, rounded up.
pub fn mul_div_ceil(a: i128, b: i128, c: i128) -> MathResult<i128> {
    div_ceil(mul(a, b)?, c)
}

/// Smallest `r` with `r * r >= n` (n ≥ 0).
pub fn sqrt_ceil(n: i128) -> MathResult<i128> {
    if n < 0 {
        return Err(MathError::Overflow);
    }
    if n < 2 {
        return Ok(n);
    }
    // Newton's method on u128 from an upper bound, then adjust to the ceiling.
    let n_u = n as u128;
    let mut x = 1u128 << (128 - n_u.leading_zeros()).div_ceil(2);
    loop {
        let y = (x + n_u / x) / 2;
        if y >= x {
            break;
        }
        x = y;
    }
    let mut r = x as i128;
    while r * r < n {
        r += 1;
    }
    while r > 0 && (r - 1) * (r - 1) >= n {
        r -= 1;
    }
    Ok(r)
}

/// Narrows to i64, failing on overflow.
pub fn to_i64(v: i128) -> MathResult<i64> {
    i64::try_from(v).map_err(|_| MathError::Overflow)
}

/// Narrows to u64, failing on overflow or a negative value.
pub fn to_u64(v: i128) -> MathResult<u64> {
    u64::try_from(v).map_err(|_| MathError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_rounds_in_the_named_direction() {
        assert_eq!(div_floor(7, 2), Ok(3));
        assert_eq!(div_floor(-7, 2), Ok(-4));
        assert_eq!(div_ceil(7, 2), Ok(4));
        assert_eq!(div_ceil(-7, 2), Ok(-3));
        assert_eq!(div_ceil(6, 2), Ok(3));
        assert_eq!(div_floor(-6, 2), Ok(-3));
        assert_eq!(div_floor(1, 0), Err(MathError::DivisionByZero));
    }

    #[test]
    fn sqrt_ceil_is_the_smallest_root_not_below() {
        for n in 0..10_000i128 {
            let r = sqrt_ceil(n).unwrap();
            assert!(r * r >= n && (r == 0 || (r - 1) * (r - 1) < n), "n={n} r={r}");
        }
        assert_eq!(sqrt_ceil(1_000_000_000_000), Ok(1_000_000));
        assert_eq!(sqrt_ceil(1_000_000_000_001), Ok(1_000_001));
        let big = i128::MAX / 4;
        let r = sqrt_ceil(big).unwrap();
        assert!(r.checked_mul(r).unwrap() >= big && (r - 1) * (r - 1) < big);
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        assert_eq!(mul(i128::MAX, 2), Err(MathError::Overflow));
        assert_eq!(to_i64(i128::from(i64::MAX) + 1), Err(MathError::Overflow));
        assert_eq!(to_u64(-1), Err(MathError::Overflow));
    }
}
