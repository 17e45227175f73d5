//! Scalar root finding shared by the theory module (Brent's bracketing method).

use super::TheoryError;

/// Finds a root of `f` in [a, b], where f(a) and f(b) have opposite signs (or one is zero),
/// with Brent's method (inverse quadratic interpolation, secant and bisection steps; the
/// bracket always contains a sign change). Stops when the bracket half-width is below
/// (xtol + rtol·|x|)/2.
pub(crate) fn brent(
    what: &'static str,
    mut f: impl FnMut(f64) -> f64,
    a: f64,
    b: f64,
    xtol: f64,
    rtol: f64,
    max_iter: usize,
) -> Result<f64, TheoryError> {
    let (mut xpre, mut xcur) = (a, b);
    let (mut fpre, mut fcur) = (f(xpre), f(xcur));
    if fpre.is_nan() || fcur.is_nan() {
        return Err(TheoryError::NoBracket {
            what,
            detail: format!("f({a}) = {fpre}, f({b}) = {fcur}"),
        });
    }
    if fpre == 0.0 {
        return Ok(xpre);
    }
    if fcur == 0.0 {
        return Ok(xcur);
    }
    if (fpre > 0.0) == (fcur > 0.0) {
        return Err(TheoryError::NoBracket {
            what,
            detail: format!("f({a}) = {fpre} and f({b}) = {fcur} have the same sign"),
        });
    }
    let (mut xblk, mut fblk) = (0.0, 0.0);
    let (mut spre, mut scur) = (0.0_f64, 0.0_f64);
    for _ in 0..max_iter {
        if fpre != 0.0 && fcur != 0.0 && ((fpre > 0.0) != (fcur > 0.0)) {
            xblk = xpre;
            fblk = fpre;
            spre = xcur - xpre;
            scur = spre;
        }
        if fblk.abs() < fcur.abs() {
            xpre = xcur;
            xcur = xblk;
            xblk = xpre;
            fpre = fcur;
            fcur = fblk;
            fblk = fpre;
        }
        let delta = 0.5 * (xtol + rtol * xcur.abs());
        let sbis = 0.5 * (xblk - xcur);
        if fcur == 0.0 || sbis.abs() < delta {
            return Ok(xcur);
        }
        if spre.abs() > delta && fcur.abs() < fpre.abs() {
            let stry = if xpre == xblk {
                // secant
                -fcur * (xcur - xpre) / (fcur - fpre)
            } else {
                // inverse quadratic interpolation
                let dpre = (fpre - fcur) / (xpre - xcur);
                let dblk = (fblk - fcur) / (xblk - xcur);
                -fcur * (fblk * dblk - fpre * dpre) / (dblk * dpre * (fblk - fpre))
            };
            if 2.0 * stry.abs() < spre.abs().min(3.0 * sbis.abs() - delta) {
                spre = scur;
                scur = stry;
            } else {
                spre = sbis;
                scur = sbis;
            }
        } else {
            spre = sbis;
            scur = sbis;
        }
        xpre = xcur;
        fpre = fcur;
        if scur.abs() > delta {
            xcur += scur;
        } else {
            xcur += if sbis > 0.0 { delta } else { -delta };
        }
        fcur = f(xcur);
        if fcur.is_nan() {
            return Err(TheoryError::NoBracket {
                what,
                detail: format!("f({xcur}) is NaN"),
            });
        }
    }
    Err(TheoryError::NoConvergence {
        what,
        iterations: max_iter,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theory_brent_finds_roots() {
        let r = brent("cos", f64::cos, 0.0, 3.0, 1e-15, 1e-15, 100).unwrap();
        assert!((r - std::f64::consts::FRAC_PI_2).abs() < 1e-14);
        let r = brent("cubic", |x| x * x * x - 2.0, -5.0, 5.0, 1e-15, 1e-15, 100).unwrap();
        assert!((r - 2f64.cbrt()).abs() < 1e-14);
        assert!(matches!(
            brent(
                "no sign change",
                |x| x * x + 1.0,
                -1.0,
                1.0,
                1e-12,
                0.0,
                100
            ),
            Err(TheoryError::NoBracket { .. })
        ));
    }
}
