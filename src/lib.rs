pub use tricolor_runtime as runtime;
