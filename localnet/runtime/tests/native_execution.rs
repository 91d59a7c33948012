//! The native builtin adapter, exercised with a small processor written for these tests.

mod common;

use common::*;
use localnet_runtime::{native_entry, AccountInfo, ProgramResult, Pubkey, Runtime};
use solana_account::Account;
use solana_instruction::error::InstructionError;
use solana_instruction::{AccountMeta, Instruction};
use solana_program_error::ProgramError;
use solana_signer::Signer;
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;

const TEST_PROGRAM: Pubkey = Pubkey::new_from_array([7; 32]);

/// Instruction data: one opcode byte, then operands.
fn test_program(program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    match data[0] {
        // Log a line and a data record.
        0 => {
            solana_msg::msg!("hello from {} with {} accounts", program_id, accounts.len());
            solana_sysvar::program_stubs::sol_log_data(&[b"abc", b"de"]);
            Ok(())
        }
        1 => panic!("deliberate panic"),
        2 => Err(ProgramError::Custom(u32::from(data[1]))),
        // Resize account 0 to data[1] bytes and fill it with data[2].
        3 => {
            accounts[0].resize(usize::from(data[1]))?;
            accounts[0].try_borrow_mut_data()?.fill(data[2]);
            Ok(())
        }
        // Move data[1] lamports from account 0 to account 1.
        4 => {
            let amount = u64::from(data[1]);
            **accounts[0].try_borrow_mut_lamports()? -= amount;
            **accounts[1].try_borrow_mut_lamports()? += amount;
            Ok(())
        }
        // Write into account 0's data whoever owns it.
        5 => {
            accounts[0].try_borrow_mut_data()?[0] = 0xff;
            Ok(())
        }
        // System transfer of data[1] lamports from the PDA ["vault", bump] (account 0) to account 1.
        6 => {
            let (pda, bump) = Pubkey::find_program_address(&[b"vault"], program_id);
            assert_eq!(*accounts[0].key, pda);
            let ix = solana_system_interface::instruction::transfer(&pda, accounts[1].key, u64::from(data[1]));
            solana_invoke::invoke_signed(&ix, &accounts[..3], &[&[b"vault", &[bump]]])
        }
        // Read the clock through the sysvar syscall and log the slot.
        7 => {
            use solana_sysvar::Sysvar;
            let clock = solana_clock::Clock::get()?;
            solana_msg::msg!("slot {}", clock.slot);
            Ok(())
        }
        _ => Err(ProgramError::InvalidInstructionData),
    }
}

fn runtime() -> Runtime {
    let mut rt = Runtime::without_programs();
    rt.add_native_program(TEST_PROGRAM, native_entry!(test_program));
    rt
}

fn ix(data: Vec<u8>, accounts: Vec<AccountMeta>) -> Instruction {
    Instruction { program_id: TEST_PROGRAM, accounts, data }
}

fn owned_account(rt: &mut Runtime, key: Pubkey, lamports: u64, data: Vec<u8>) {
    let account = Account { lamports, data, owner: TEST_PROGRAM, executable: false, rent_epoch: 0 };
    rt.svm_mut().set_account(key, account).unwrap();
}

#[test]
fn program_logs_reach_the_transaction_log_as_a_validator_writes_them() {
    let mut rt = runtime();
    let payer = funded(&mut rt);
    let exec = send(&mut rt, &payer, &[ix(vec![0], vec![])], &[]);
    assert_ok(&exec);
    let expected = [
        format!("Program {TEST_PROGRAM} invoke [1]"),
        format!("Program log: hello from {TEST_PROGRAM} with 0 accounts"),
        "Program data: YWJj ZGU=".to_string(),
        format!("Program {TEST_PROGRAM} success"),
    ];
    assert_eq!(exec.logs, expected);
}

#[test]
fn a_panic_fails_the_transaction_and_the_runtime_keeps_serving() {
    let mut rt = runtime();
    let payer = funded(&mut rt);
    let exec = send(&mut rt, &payer, &[ix(vec![1], vec![])], &[]);
    assert_eq!(exec.result, Err(TransactionError::InstructionError(0, InstructionError::ProgramFailedToComplete)));
    assert!(has_log(&exec, "deliberate panic"), "{:?}", exec.logs);
    let again = send(&mut rt, &payer, &[ix(vec![0], vec![])], &[]);
    assert_ok(&again);
}

#[test]
fn custom_errors_keep_their_code() {
    let mut rt = runtime();
    let payer = funded(&mut rt);
    let exec = send(&mut rt, &payer, &[ix(vec![2, 42], vec![])], &[]);
    assert_eq!(exec.result, Err(TransactionError::InstructionError(0, InstructionError::Custom(42))));
    assert!(has_log(&exec, &format!("Program {TEST_PROGRAM} failed: custom program error: 0x2a")));
}

#[test]
fn a_transaction_refused_in_preflight_is_not_kept_and_the_same_bytes_land_later() {
    let mut rt = runtime();
    let payer = funded(&mut rt);
    let blockhash = rt.new_blockhash();
    let tx: VersionedTransaction =
        Transaction::new_signed_with_payer(&[ix(vec![2, 7], vec![])], Some(&payer.pubkey()), &[&payer], blockhash)
            .into();
    let failed = Err(TransactionError::InstructionError(0, InstructionError::Custom(7)));
    let refused = rt.send_preflighted(tx.clone());
    assert_eq!(refused.result, failed);
    assert!(has_log(&refused, "custom program error: 0x7"), "{:?}", refused.logs);
    // Without preflight the same signature executes and is kept, as a validator lands it.
    assert_eq!(rt.send(tx.clone()).result, failed);
    assert_eq!(rt.send(tx).result, Err(TransactionError::AlreadyProcessed));
}

#[test]
fn resized_and_rewritten_data_is_committed() {
    let mut rt = runtime();
    let payer = funded(&mut rt);
    let key = pk(1);
    owned_account(&mut rt, key, 10_000_000, vec![1; 8]);
    let exec = send(&mut rt, &payer, &[ix(vec![3, 100, 9], vec![AccountMeta::new(key, false)])], &[]);
    assert_ok(&exec);
    let account = rt.get_account(&key).unwrap();
    assert_eq!(account.data, vec![9; 100]);
    assert!(exec.changed.iter().any(|(k, a)| *k == key && a.data.len() == 100));
}

#[test]
fn lamport_moves_between_owned_accounts_are_committed() {
    let mut rt = runtime();
    let payer = funded(&mut rt);
    let (a, b) = (pk(2), pk(3));
    owned_account(&mut rt, a, 5_000_000, vec![]);
    owned_account(&mut rt, b, 5_000_000, vec![]);
    let metas = vec![AccountMeta::new(a, false), AccountMeta::new(b, false)];
    assert_ok(&send(&mut rt, &payer, &[ix(vec![4, 200], metas)], &[]));
    assert_eq!(rt.get_account(&a).unwrap().lamports, 5_000_000 - 200);
    assert_eq!(rt.get_account(&b).unwrap().lamports, 5_000_000 + 200);
}

#[test]
fn writing_an_account_the_program_does_not_own_is_refused_like_the_loader_does() {
    let mut rt = runtime();
    let payer = funded(&mut rt);
    let victim = pk(5);
    let foreign = Account { lamports: 1_000_000, data: vec![0; 8], owner: pk(6), executable: false, rent_epoch: 0 };
    rt.svm_mut().set_account(victim, foreign).unwrap();
    let exec = send(&mut rt, &payer, &[ix(vec![5], vec![AccountMeta::new(victim, false)])], &[]);
    assert_eq!(exec.result, Err(TransactionError::InstructionError(0, InstructionError::ExternalAccountDataModified)));
    assert_eq!(rt.get_account(&victim).unwrap().data, vec![0; 8]);
}

#[test]
fn cpi_into_the_system_program_signs_for_a_pda() {
    let mut rt = runtime();
    let payer = funded(&mut rt);
    let (vault, _) = Pubkey::find_program_address(&[b"vault"], &TEST_PROGRAM);
    rt.svm_mut().airdrop(&vault, 1_000_000_000).unwrap();
    let recipient = pk(4);
    let metas = vec![
        AccountMeta::new(vault, false),
        AccountMeta::new(recipient, false),
        AccountMeta::new_readonly(solana_sdk_ids::system_program::ID, false),
    ];
    let exec = send(&mut rt, &payer, &[ix(vec![6, 250], metas)], &[]);
    assert_ok(&exec);
    assert_eq!(rt.get_account(&recipient).unwrap().lamports, 250);
    assert_eq!(rt.get_account(&vault).unwrap().lamports, 1_000_000_000 - 250);
    assert!(has_log(&exec, "Program 11111111111111111111111111111111 invoke [2]"), "{:?}", exec.logs);
}

#[test]
fn sysvars_come_from_the_runtime() {
    let mut rt = runtime();
    let payer = funded(&mut rt);
    rt.set_clock(4242, 1_700_000_000);
    let exec = send(&mut rt, &payer, &[ix(vec![7], vec![])], &[]);
    assert_ok(&exec);
    assert!(has_log(&exec, "Program log: slot 4242"), "{:?}", exec.logs);
}
