// The editor languages iquest-lsp serves (VS Code language ids).
export const LANGUAGES = [
  "python", "javascript", "javascriptreact", "typescript", "typescriptreact", "go", "rust", "java",
  "c", "cpp", "csharp", "lua", "shellscript", "ruby", "php", "kotlin", "swift", "scala",
];
