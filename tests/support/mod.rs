pub mod gitrepo;
pub mod rawhttp;
