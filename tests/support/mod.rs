pub mod rawhttp;
