pub mod smoke;
