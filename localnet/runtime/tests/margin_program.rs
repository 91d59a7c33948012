//! The margin program running natively: PDA creation through the system program, token CPI into
//! SPL Token (real SBF) with and without a PDA signer, events in the log, Anchor error codes.

mod common;

use anchor_lang::{AccountDeserialize, AnchorDeserialize, Discriminator, InstructionData, ToAccountMetas};
use common::*;
use localnet_runtime::{Pubkey, Runtime};
use margin::state::{Exchange, MarginAccount};
use solana_instruction::error::InstructionError;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_program_pack::Pack;
use solana_signer::Signer;
use solana_transaction_error::TransactionError;

struct Setup {
    rt: Runtime,
    admin: Keypair,
    user: Keypair,
    mint: Pubkey,
    user_token: Pubkey,
    exchange: Pubkey,
    quote_vault: Pubkey,
    insurance_vault: Pubkey,
}

fn create_account_ix(rt: &Runtime, payer: &Pubkey, new: &Pubkey, len: usize, owner: &Pubkey) -> Instruction {
    let lamports = rt.svm().minimum_balance_for_rent_exemption(len);
    solana_system_interface::instruction::create_account(payer, new, lamports, len as u64, owner)
}

fn setup() -> Setup {
    let mut rt = Runtime::new();
    let admin = funded(&mut rt);
    let user = funded(&mut rt);
    let mint = Keypair::new();
    let user_token = Keypair::new();
    let ixs = [
        create_account_ix(&rt, &admin.pubkey(), &mint.pubkey(), spl_token::state::Mint::LEN, &spl_token::ID),
        spl_token::instruction::initialize_mint2(&spl_token::ID, &mint.pubkey(), &admin.pubkey(), None, 6).unwrap(),
        create_account_ix(&rt, &admin.pubkey(), &user_token.pubkey(), spl_token::state::Account::LEN, &spl_token::ID),
        spl_token::instruction::initialize_account3(
            &spl_token::ID,
            &user_token.pubkey(),
            &mint.pubkey(),
            &user.pubkey(),
        )
        .unwrap(),
        spl_token::instruction::mint_to(
            &spl_token::ID,
            &mint.pubkey(),
            &user_token.pubkey(),
            &admin.pubkey(),
            &[],
            1_000_000_000,
        )
        .unwrap(),
    ];
    assert_ok(&send(&mut rt, &admin, &ixs, &[&mint, &user_token]));

    let mint = mint.pubkey();
    let (exchange, _) = Pubkey::find_program_address(&[b"exchange", mint.as_ref()], &margin::ID);
    let (quote_vault, _) = Pubkey::find_program_address(&[b"quote_vault", exchange.as_ref()], &margin::ID);
    let (insurance_vault, _) = Pubkey::find_program_address(&[b"insurance_vault", exchange.as_ref()], &margin::ID);
    Setup { rt, admin, user, mint, user_token: user_token.pubkey(), exchange, quote_vault, insurance_vault }
}

fn margin_ix(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction { program_id: margin::ID, accounts: accounts.to_account_metas(None), data: data.data() }
}

fn initialize(s: &mut Setup) -> localnet_runtime::Executed {
    let ix = margin_ix(
        margin::accounts::InitializeExchange {
            admin: s.admin.pubkey(),
            quote_mint: s.mint,
            exchange: s.exchange,
            quote_vault: s.quote_vault,
            insurance_vault: s.insurance_vault,
            token_program: spl_token::ID,
            system_program: solana_sdk_ids::system_program::ID,
        },
        margin::instruction::InitializeExchange {},
    );
    send(&mut s.rt, &s.admin.insecure_clone(), &[ix], &[])
}

fn margin_account_of(s: &Setup) -> Pubkey {
    Pubkey::find_program_address(&[b"margin", s.exchange.as_ref(), s.user.pubkey().as_ref()], &margin::ID).0
}

fn create_margin_account(s: &mut Setup) {
    let ix = margin_ix(
        margin::accounts::CreateMarginAccount {
            owner: s.user.pubkey(),
            exchange: s.exchange,
            margin_account: margin_account_of(s),
            system_program: solana_sdk_ids::system_program::ID,
        },
        margin::instruction::CreateMarginAccount {},
    );
    assert_ok(&send(&mut s.rt, &s.user.insecure_clone(), &[ix], &[]));
}

fn transfer_ix(s: &Setup, deposit: bool, amount: u64) -> Instruction {
    if deposit {
        margin_ix(
            margin::accounts::Deposit {
                owner: s.user.pubkey(),
                exchange: s.exchange,
                margin_account: margin_account_of(s),
                user_token: s.user_token,
                quote_vault: s.quote_vault,
                token_program: spl_token::ID,
            },
            margin::instruction::Deposit { amount },
        )
    } else {
        margin_ix(
            margin::accounts::Withdraw {
                owner: s.user.pubkey(),
                exchange: s.exchange,
                margin_account: margin_account_of(s),
                user_token: s.user_token,
                quote_vault: s.quote_vault,
                token_program: spl_token::ID,
            },
            margin::instruction::Withdraw { amount },
        )
    }
}

fn user_send(s: &mut Setup, ix: Instruction) -> localnet_runtime::Executed {
    let user = s.user.insecure_clone();
    send(&mut s.rt, &user, &[ix], &[])
}

fn token_balance(rt: &Runtime, key: &Pubkey) -> u64 {
    spl_token::state::Account::unpack(&rt.get_account(key).unwrap().data).unwrap().amount
}

fn event_payloads(logs: &[String]) -> Vec<Vec<u8>> {
    use base64::Engine;
    logs.iter()
        .filter_map(|l| l.strip_prefix("Program data: "))
        .map(|b| base64::engine::general_purpose::STANDARD.decode(b).unwrap())
        .collect()
}

#[test]
fn initialize_exchange_creates_pdas_and_vaults_through_cpi() {
    let mut s = setup();
    let exec = initialize(&mut s);
    assert_ok(&exec);

    let account = s.rt.get_account(&s.exchange).unwrap();
    assert_eq!(account.owner, margin::ID);
    let exchange = Exchange::try_deserialize(&mut &account.data[..]).unwrap();
    assert_eq!(exchange.quote_mint, s.mint);
    assert_eq!(exchange.admin, s.admin.pubkey());

    for vault in [s.quote_vault, s.insurance_vault] {
        let token = spl_token::state::Account::unpack(&s.rt.get_account(&vault).unwrap().data).unwrap();
        assert_eq!(token.owner, s.exchange, "vault authority is the exchange PDA");
        assert_eq!(token.mint, s.mint);
    }
    assert!(has_log(&exec, "Program 11111111111111111111111111111111 invoke [2]"));
    assert!(has_log(&exec, "Program TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA invoke [2]"));
    assert!(has_log(&exec, &format!("Program log: exchange initialized for quote mint {}", s.mint)));

    let events = event_payloads(&exec.logs);
    assert_eq!(events.len(), 1);
    assert_eq!(&events[0][..8], margin::events::ExchangeInitialized::DISCRIMINATOR);
    let event = margin::events::ExchangeInitialized::deserialize(&mut &events[0][8..]).unwrap();
    assert_eq!(event.quote_vault, s.quote_vault);
}

#[test]
fn initializing_the_same_exchange_twice_fails_in_the_system_program() {
    let mut s = setup();
    assert_ok(&initialize(&mut s));
    s.rt.new_blockhash();
    let again = initialize(&mut s);
    // `init` on an existing account: the system program refuses to allocate it again.
    assert_eq!(again.result, Err(TransactionError::InstructionError(0, InstructionError::Custom(0))));
    assert!(has_log(&again, "already in use"), "{:?}", again.logs);
}

#[test]
fn deposit_and_withdraw_move_tokens_and_credit_the_account() {
    let mut s = setup();
    assert_ok(&initialize(&mut s));
    create_margin_account(&mut s);

    let ix = transfer_ix(&s, true, 250_000_000);
    let deposit = user_send(&mut s, ix);
    assert_ok(&deposit);
    assert_eq!(token_balance(&s.rt, &s.quote_vault), 250_000_000);
    assert_eq!(token_balance(&s.rt, &s.user_token), 750_000_000);
    let events = event_payloads(&deposit.logs);
    assert_eq!(&events[0][..8], margin::events::CollateralDeposited::DISCRIMINATOR);

    // The vault's authority is the exchange PDA: this transfer is signed with its seeds.
    let ix = transfer_ix(&s, false, 100_000_000);
    let withdraw = user_send(&mut s, ix);
    assert_ok(&withdraw);
    assert_eq!(token_balance(&s.rt, &s.quote_vault), 150_000_000);
    assert_eq!(token_balance(&s.rt, &s.user_token), 850_000_000);

    let data = s.rt.get_account(&margin_account_of(&s)).unwrap().data;
    assert_eq!(&data[..8], MarginAccount::DISCRIMINATOR);
    let account: &MarginAccount = bytemuck_cast(&data[8..]);
    assert_eq!(account.collateral, 150_000_000);
    assert_eq!(account.owner, s.user.pubkey());
    // Changed accounts are reported with their new state.
    assert!(withdraw.changed.iter().any(|(k, _)| *k == s.quote_vault));
}

fn bytemuck_cast(bytes: &[u8]) -> &MarginAccount {
    anchor_lang::__private::bytemuck::from_bytes(&bytes[..std::mem::size_of::<MarginAccount>()])
}

#[test]
fn program_errors_carry_their_anchor_codes() {
    let mut s = setup();
    assert_ok(&initialize(&mut s));
    create_margin_account(&mut s);

    let ix = transfer_ix(&s, true, 0);
    let zero = user_send(&mut s, ix);
    assert_eq!(zero.result, Err(TransactionError::InstructionError(0, InstructionError::Custom(6000))));
    assert!(has_log(&zero, "Program log: AnchorError thrown in"), "{:?}", zero.logs);
    assert!(has_log(&zero, "Error Number: 6000"));

    let ix = transfer_ix(&s, false, 1);
    let too_much = user_send(&mut s, ix);
    assert_eq!(too_much.result, Err(TransactionError::InstructionError(0, InstructionError::Custom(6001))));
}

#[test]
fn a_failed_token_cpi_fails_the_transaction_with_the_token_error() {
    let mut s = setup();
    assert_ok(&initialize(&mut s));
    create_margin_account(&mut s);
    // More than the user holds: SPL Token's InsufficientFunds (custom error 1).
    let ix = transfer_ix(&s, true, 5_000_000_000);
    let exec = user_send(&mut s, ix);
    assert_eq!(exec.result, Err(TransactionError::InstructionError(0, InstructionError::Custom(1))));
    assert_eq!(token_balance(&s.rt, &s.user_token), 1_000_000_000, "nothing committed");
}

#[test]
fn program_accounts_are_listed_by_owner() {
    let mut s = setup();
    assert_ok(&initialize(&mut s));
    create_margin_account(&mut s);
    let owned = s.rt.program_accounts(&margin::ID);
    let keys: Vec<Pubkey> = owned.iter().map(|(k, _)| *k).collect();
    assert!(keys.contains(&s.exchange));
    assert!(keys.contains(&margin_account_of(&s)));
    assert_eq!(keys.len(), 2);
}
