//! Default programs running as real SBF next to native ones.

mod common;

use common::*;
use localnet_runtime::{Pubkey, Runtime};
use solana_instruction::{AccountMeta, Instruction};
use solana_keypair::Keypair;
use solana_program_pack::Pack;
use solana_signer::Signer;

const ATA_PROGRAM: Pubkey = solana_pubkey::pubkey!("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL");

#[test]
fn associated_token_accounts_are_created_by_the_sbf_program() {
    let mut rt = Runtime::new();
    let payer = funded(&mut rt);
    let mint = Keypair::new();
    let len = spl_token::state::Mint::LEN;
    let lamports = rt.svm().minimum_balance_for_rent_exemption(len);
    let ixs = [
        solana_system_interface::instruction::create_account(
            &payer.pubkey(),
            &mint.pubkey(),
            lamports,
            len as u64,
            &spl_token::ID,
        ),
        spl_token::instruction::initialize_mint2(&spl_token::ID, &mint.pubkey(), &payer.pubkey(), None, 6).unwrap(),
    ];
    assert_ok(&send(&mut rt, &payer, &ixs, &[&mint]));

    let owner = Pubkey::new_unique();
    let (ata, _) =
        Pubkey::find_program_address(&[owner.as_ref(), spl_token::ID.as_ref(), mint.pubkey().as_ref()], &ATA_PROGRAM);
    let create = Instruction {
        program_id: ATA_PROGRAM,
        accounts: vec![
            AccountMeta::new(payer.pubkey(), true),
            AccountMeta::new(ata, false),
            AccountMeta::new_readonly(owner, false),
            AccountMeta::new_readonly(mint.pubkey(), false),
            AccountMeta::new_readonly(solana_sdk_ids::system_program::ID, false),
            AccountMeta::new_readonly(spl_token::ID, false),
        ],
        data: vec![0],
    };
    assert_ok(&send(&mut rt, &payer, &[create], &[]));
    let account = spl_token::state::Account::unpack(&rt.get_account(&ata).unwrap().data).unwrap();
    assert_eq!(account.owner, owner);
}
