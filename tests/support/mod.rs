pub mod dashboard;
pub mod gitrepo;
pub mod rawhttp;
pub mod screen;
pub mod served;
pub mod tmux;
