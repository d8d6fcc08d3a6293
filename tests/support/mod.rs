pub mod gitrepo;
pub mod rawhttp;
pub mod tmux;
