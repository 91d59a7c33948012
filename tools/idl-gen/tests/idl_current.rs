//! The committed IDL (what clients load) must describe the program as it is now.

#[test]
fn committed_idl_matches_the_program() {
    let built = idl_gen::build_idl_json();
    let committed = std::fs::read_to_string(idl_gen::committed_idl_path()).expect("idl/margin.json exists");
    assert!(committed == built, "idl/margin.json is out of date with programs/margin: run `npm run idl`");
}
