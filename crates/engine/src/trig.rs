//! Sine and cosine of one angle together.
//!
//! Rust's `f64::sin_cos` calls `sin` and `cos` separately, and the locking update needs both
//! for every coupled pair at every step: the largest share of a run's time. glibc's `sincos`
//! reduces the angle once and runs the same kernels as its `sin` and `cos`, so it returns the
//! same bits (checked by the test below) in less time. Elsewhere the plain pair is used.

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod glibc {
    unsafe extern "C" {
        fn sincos(x: f64, sin: *mut f64, cos: *mut f64);
    }

    #[inline]
    pub fn sin_cos(x: f64) -> (f64, f64) {
        let (mut sin, mut cos) = (0.0, 0.0);
        // SAFETY: `sincos` only writes one f64 through each pointer, and both point at live
        // locals of this frame.
        unsafe { sincos(x, &mut sin, &mut cos) };
        (sin, cos)
    }
}

/// (sin x, cos x), bit for bit what `x.sin()` and `x.cos()` give.
#[inline]
pub fn sin_cos(x: f64) -> (f64, f64) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        glibc::sin_cos(x)
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        x.sin_cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sin_cos_gives_the_bits_of_sin_and_cos() {
        let mut rng = crate::random::Stream::new(9, 2);
        let check = |x: f64| {
            let (s, c) = sin_cos(x);
            assert_eq!(s.to_bits(), x.sin().to_bits(), "sin {x}");
            assert_eq!(c.to_bits(), x.cos().to_bits(), "cos {x}");
        };
        for _ in 0..200_000 {
            // Locking angles lie within (−2π, 2π); rotations are small; some huge ones too.
            check((rng.uniform() * 4.0 - 2.0) * std::f64::consts::TAU);
            check((rng.uniform() - 0.5) * 1e-3);
            check((rng.uniform() - 0.5) * 1e12);
        }
        for x in [0.0, -0.0, std::f64::consts::PI, 1e300, f64::MIN_POSITIVE] {
            check(x);
        }
    }
}
