/// Two 200,000-line files, the second with every 1,000th line changed (200 lines): the
/// pair of the drift benchmark in docs/performance.md.
pub fn pair() -> (String, String) {
    let mut a = String::with_capacity(200_000 * 48);
    let mut b = String::with_capacity(200_000 * 48);
    for n in 0..200_000 {
        let line = format!("setting_{n:06} = value for line {n} of the file\n");
        a.push_str(&line);
        if n % 1_000 == 500 {
            b.push_str(&format!("setting_{n:06} = changed value {n}\n"));
        } else {
            b.push_str(&line);
        }
    }
    (a, b)
}
