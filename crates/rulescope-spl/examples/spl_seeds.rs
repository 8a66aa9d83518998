//! Writes each Splunk query under a corpus directory to its own file, as fuzzing seeds.
//! Usage: spl_seeds CORPUS_DIR OUT_DIR (used by fuzz/seed.sh; the output is never committed).

use std::path::PathBuf;

use rulescope_model::LogicFormat;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1).map(PathBuf::from);
    let (Some(corpus), Some(out)) = (args.next(), args.next()) else {
        eprintln!("usage: spl_seeds CORPUS_DIR OUT_DIR");
        std::process::exit(2);
    };
    std::fs::create_dir_all(&out)?;
    let report = rulescope_load::load_paths(&[corpus]);
    let mut written = 0;
    for rule in report
        .rules
        .iter()
        .filter(|r| r.logic_format == LogicFormat::Splunk)
    {
        std::fs::write(out.join(format!("armory-{}.spl", rule.id)), &rule.logic)?;
        written += 1;
    }
    eprintln!("wrote {written} queries");
    Ok(())
}
