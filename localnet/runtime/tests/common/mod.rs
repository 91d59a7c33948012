#![allow(dead_code)]

use localnet_runtime::{Executed, Pubkey, Runtime};
use solana_hash::Hash;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_signer::Signer;
use solana_transaction::Transaction;

pub fn funded(rt: &mut Runtime) -> Keypair {
    let kp = Keypair::new();
    rt.svm_mut().airdrop(&kp.pubkey(), 100_000_000_000).expect("airdrop");
    kp
}

pub fn send(rt: &mut Runtime, payer: &Keypair, ixs: &[Instruction], extra: &[&Keypair]) -> Executed {
    let mut signers: Vec<&Keypair> = vec![payer];
    signers.extend_from_slice(extra);
    let blockhash: Hash = rt.new_blockhash();
    let tx = Transaction::new_signed_with_payer(ixs, Some(&payer.pubkey()), &signers, blockhash);
    rt.send(tx.into())
}

pub fn has_log(exec: &Executed, needle: &str) -> bool {
    exec.logs.iter().any(|l| l.contains(needle))
}

pub fn assert_ok(exec: &Executed) {
    assert!(exec.result.is_ok(), "transaction failed: {:?}\n{}", exec.result, exec.logs.join("\n"));
}

pub fn pk(bytes: u8) -> Pubkey {
    Pubkey::new_from_array([bytes; 32])
}
