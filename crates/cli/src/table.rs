//! Plain-text tables: a header in capitals and left-aligned columns two
//! spaces apart.

use std::io::Write;

pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&str]) -> Table {
        Table { header: header.iter().map(|h| h.to_string()).collect(), rows: Vec::new() }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                if let Some(width) = widths.get_mut(i) {
                    *width = (*width).max(cell.chars().count());
                }
            }
        }
        let line = |cells: &[String]| {
            let padded: Vec<String> = cells
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c:<width$}", width = widths.get(i).copied().unwrap_or(0)))
                .collect();
            padded.join("  ").trim_end().to_owned()
        };
        let mut out = line(&self.header);
        out.push('\n');
        for row in &self.rows {
            out.push_str(&line(row));
            out.push('\n');
        }
        out
    }

    pub fn print(&self) -> std::io::Result<()> {
        std::io::stdout().write_all(self.render().as_bytes())
    }
}

/// A number as short as it can be written (`1`, `0.5`, `2048`).
pub fn number(value: f64) -> String {
    let rounded = (value * 1000.0).round() / 1000.0;
    format!("{rounded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up() {
        let mut table = Table::new(&["ID", "STATE"]);
        table.row(vec!["a-long-id".into(), "TASK_RUNNING".into()]);
        table.row(vec!["b".into(), "TASK_FINISHED".into()]);
        assert_eq!(table.render(), "ID         STATE\na-long-id  TASK_RUNNING\nb          TASK_FINISHED\n");
        assert_eq!(number(0.1 + 0.2), "0.3");
        assert_eq!(number(2048.0), "2048");
    }
}
