"""Plan monitoring (规划实施监测评估) of the Guangzhou Financial Development 14th Five-Year Plan (穗府办〔2021〕9号)."""
