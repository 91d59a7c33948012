//! `idl-gen` writes idl/margin.json; `idl-gen --check` exits 1 when the committed file differs.

fn main() {
    let json = idl_gen::build_idl_json();
    let path = idl_gen::committed_idl_path();
    if std::env::args().any(|a| a == "--check") {
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != json {
            eprintln!("{} is out of date with the program: run `npm run idl`", path.display());
            std::process::exit(1);
        }
        println!("{} is current", path.display());
    } else {
        std::fs::write(&path, json).expect("write IDL");
        println!("wrote {}", path.display());
    }
}
