pub mod gitrepo;
pub mod rawhttp;
pub mod served;
pub mod tmux;
