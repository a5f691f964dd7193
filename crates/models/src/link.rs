//! The least-squares link from an object's context to a value: where a linear fit of the
//! standardised context puts it. The neural models' first feature, and the quick estimate of
//! [`crate::recover`].

/// Least squares `y ≈ a + Σ bⱼ zⱼ` on the standardised context `zⱼ = (xⱼ − mⱼ) / sⱼ`, by the
/// normal equations with a tiny ridge on the slopes (a constant column, such as a fixed mass,
/// gets slope 0 instead of making the system singular), solved by Gaussian elimination with
/// partial pivoting; a system still singular falls back to the mean.
pub(crate) fn least_squares(y: &[f32], x: &[&[f32]], norm: &[(f64, f64)]) -> Vec<f64> {
    let p = x.len() + 1;
    let mut a = vec![vec![0.0f64; p + 1]; p];
    for (j, row) in a.iter_mut().enumerate().skip(1) {
        row[j] = 1e-9 * y.len().max(1) as f64;
    }
    for i in 0..y.len() {
        let row: Vec<f64> =
            std::iter::once(1.0).chain(x.iter().zip(norm).map(|(c, (m, s))| (f64::from(c[i]) - m) / s)).collect();
        if !f64::from(y[i]).is_finite() || row.iter().any(|v| !v.is_finite()) {
            continue;
        }
        for r in 0..p {
            for c in 0..p {
                a[r][c] += row[r] * row[c];
            }
            a[r][p] += row[r] * f64::from(y[i]);
        }
    }
    for col in 0..p {
        let pivot = (col..p).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs())).unwrap_or(col);
        a.swap(col, pivot);
        if a[col][col].abs() < 1e-12 * (1.0 + a[0][0]) {
            let mean = if a[0][0] > 0.0 { a[0][p] / a[0][0] } else { 0.0 };
            return std::iter::once(mean).chain(std::iter::repeat_n(0.0, p - 1)).collect();
        }
        let pivot_row = a[col].clone();
        for (r, row) in a.iter_mut().enumerate() {
            if r != col {
                let f = row[col] / pivot_row[col];
                for (x, y) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                    *x -= f * y;
                }
            }
        }
    }
    (0..p).map(|r| a[r][p] / a[r][r]).collect()
}

/// Mean and standard deviation (at least 1e-12) of the finite values.
pub(crate) fn mean_sd(v: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let (n, s) = v.clone().filter(|x| x.is_finite()).fold((0usize, 0.0), |(n, s), x| (n + 1, s + x));
    let mean = if n > 0 { s / n as f64 } else { 0.0 };
    let var = v.filter(|x| x.is_finite()).map(|x| (x - mean).powi(2)).sum::<f64>() / n.max(1) as f64;
    (mean, var.sqrt().max(1e-12))
}
